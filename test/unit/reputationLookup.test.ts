import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createReputationLookup } from '../../activities/enrich/reputation/index.ts';
import { RateLimited, type ReputationProvider } from '../../activities/enrich/reputation/provider.ts';
import { gateProvider } from '../../activities/enrich/reputation/providerGate.ts';
import { TtlCache } from '../../activities/enrich/reputation/ttlCache.ts';
import type { Reputation } from '../../domain/reputation.ts';
import { loadReputationSources } from '../../runtime/adapters.ts';
import { ConfigError } from '../../runtime/config.ts';
import { REPUTATION_KEYS } from '../support/fakeReputation.ts';

/** A provider whose next answers are scripted: a confidence, or an error to throw. */
function scripted(name: ReputationProvider['name'] = 'abuseipdb', ttlMs = 60_000) {
  const answers: (number | Error)[] = [];
  const asked: string[] = [];
  const provider: ReputationProvider = {
    name,
    ttlMs,
    async lookup(address): Promise<Reputation> {
      asked.push(address);
      const next = answers.shift() ?? 50;
      if (next instanceof Error) throw next;
      return { abuseipdb: { confidence: next, reports: 1 } };
    },
  };
  return { provider, answers, asked };
}

describe('TtlCache', () => {
  test('an entry is served until it expires, then gone', () => {
    const cache = new TtlCache<string>(10);
    cache.set('a', 'x', 1_000);
    assert.equal(cache.get('a', 999), 'x');
    assert.equal(cache.get('a', 1_000), undefined);
  });

  test('bounded: the least recently used entry goes first', () => {
    const cache = new TtlCache<number>(2);
    cache.set('a', 1, 10_000);
    cache.set('b', 2, 10_000);
    cache.get('a', 0);
    cache.set('c', 3, 10_000);
    assert.equal(cache.get('b', 0), undefined, 'b was the least recently used');
    assert.deepEqual([cache.get('a', 0), cache.get('c', 0)], [1, 3]);
  });
});

describe('gateProvider: cache and rate limit per provider', () => {
  test('an answer is asked once and served from the cache for the provider\'s TTL', async () => {
    let now = 0;
    const { provider, asked, answers } = scripted('abuseipdb', 60_000);
    answers.push(97, 12);
    const gate = gateProvider(provider, { now: () => now });
    assert.deepEqual(await gate.lookup('203.0.113.7'), { reputation: { abuseipdb: { confidence: 97, reports: 1 } } });
    now = 59_999;
    assert.deepEqual(await gate.lookup('203.0.113.7'), { reputation: { abuseipdb: { confidence: 97, reports: 1 } } });
    assert.equal(asked.length, 1);
    now = 60_000;
    assert.deepEqual(await gate.lookup('203.0.113.7'), { reputation: { abuseipdb: { confidence: 12, reports: 1 } } });
    assert.equal(asked.length, 2);
  });

  test('a 429 holds every lookup back, with a note, until the provider\'s time; then it asks again', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const { provider, asked, answers } = scripted();
    answers.push(new RateLimited('abuseipdb', 120_000), 90);
    const gate = gateProvider(provider, { now: () => now });
    assert.deepEqual(await gate.lookup('203.0.113.7'), { note: { provider: 'abuseipdb', outcome: 'skipped', reason: 'answered 429: rate limited until 2026-12-01T10:02:00.000Z' } });
    now += 119_000;
    assert.deepEqual(await gate.lookup('203.0.113.8'), { note: { provider: 'abuseipdb', outcome: 'skipped', reason: 'rate limited until 2026-12-01T10:02:00.000Z' } });
    assert.equal(asked.length, 1, 'nothing is sent while limited');
    now += 1_000;
    assert.deepEqual(await gate.lookup('203.0.113.8'), { reputation: { abuseipdb: { confidence: 90, reports: 1 } } });
  });

  test('a failure is a note and is not cached: the next lookup asks again', async () => {
    const { provider, asked, answers } = scripted();
    answers.push(new Error('abuseipdb answered 503 to GET'), 40);
    const gate = gateProvider(provider);
    assert.deepEqual(await gate.lookup('203.0.113.7'), { note: { provider: 'abuseipdb', outcome: 'failed', reason: 'abuseipdb answered 503 to GET' } });
    assert.deepEqual(await gate.lookup('203.0.113.7'), { reputation: { abuseipdb: { confidence: 40, reports: 1 } } });
    assert.equal(asked.length, 2);
  });
});

describe('createReputationLookup', () => {
  test('merges every provider\'s part and notes the ones off or silent', async () => {
    const abuse = scripted('abuseipdb');
    abuse.answers.push(97);
    const rdap: ReputationProvider = { name: 'rdap', ttlMs: 1, lookup: async () => ({ rdap: { name: 'EXAMPLE-NET' } }) };
    const failing: ReputationProvider = { name: 'greynoise', ttlMs: 1, lookup: async () => { throw new Error('greynoise request failed: ECONNREFUSED'); } };
    const lookUp = createReputationLookup({ providers: [abuse.provider, rdap, failing], off: [{ name: 'shodan', reason: 'SHODAN_API_KEY not set' }] });
    assert.deepEqual(await lookUp('203.0.113.7'), {
      reputation: { abuseipdb: { confidence: 97, reports: 1 }, rdap: { name: 'EXAMPLE-NET' } },
      notes: [
        { provider: 'greynoise', outcome: 'failed', reason: 'greynoise request failed: ECONNREFUSED' },
        { provider: 'shodan', outcome: 'skipped', reason: 'SHODAN_API_KEY not set' },
      ],
    });
  });

  test('an internal address is never sent to a provider', async () => {
    const abuse = scripted('abuseipdb');
    const lookUp = createReputationLookup({ providers: [abuse.provider], off: [] });
    for (const address of ['10.1.2.3', '192.168.0.9', '100.64.0.1', '127.0.0.1', 'fd00::1', 'fe80::1']) {
      const { reputation, notes } = await lookUp(address);
      assert.deepEqual(reputation, {}, address);
      assert.deepEqual(notes, [{ provider: 'abuseipdb', outcome: 'skipped', reason: 'an internal address is never sent to outside providers' }], address);
    }
    assert.deepEqual(abuse.asked, []);
  });
});

describe('loadReputationSources', () => {
  const names = (sources: { providers: readonly { name: string }[] }) => sources.providers.map((p) => p.name);

  test('with no variables only RDAP is on; each keyed provider is off naming its key', () => {
    const sources = loadReputationSources({});
    assert.deepEqual(names(sources), ['rdap']);
    assert.deepEqual(sources.off, [
      { name: 'abuseipdb', reason: 'ABUSEIPDB_API_KEY not set' },
      { name: 'greynoise', reason: 'GREYNOISE_API_KEY not set' },
      { name: 'virustotal', reason: 'VIRUSTOTAL_API_KEY not set' },
      { name: 'shodan', reason: 'SHODAN_API_KEY not set' },
    ]);
    assert.ok(sources.notes.includes('rdap: on (RDAP: who holds the address (network name, organisation, country, range); no key needed)'));
  });

  test('a key turns its provider on; RIPOSTE_RDAP=off turns RDAP off with that reason', () => {
    const sources = loadReputationSources({ ABUSEIPDB_API_KEY: REPUTATION_KEYS.abuseipdb, SHODAN_API_KEY: REPUTATION_KEYS.shodan, RIPOSTE_RDAP: 'off' });
    assert.deepEqual(names(sources), ['abuseipdb', 'shodan']);
    assert.deepEqual(sources.off.find((o) => o.name === 'rdap'), { name: 'rdap', reason: 'RIPOSTE_RDAP=off' });
  });

  test('a bad setting stops start-up naming the variable, never its value', () => {
    assert.throws(() => loadReputationSources({ ABUSEIPDB_API_KEY: REPUTATION_KEYS.abuseipdb, ABUSEIPDB_URL: 'ftp://example.net' }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /abuseipdb is half configured:\n {2}ABUSEIPDB_URL: /);
      assert.ok(!err.message.includes(REPUTATION_KEYS.abuseipdb));
      return true;
    });
    assert.throws(() => loadReputationSources({ RIPOSTE_RDAP: 'maybe' }), /rdap is misconfigured:\n {2}RIPOSTE_RDAP: /);
  });
});
