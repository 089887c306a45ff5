import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { DomainFeedEntry } from '../../activities/domains/domainFeed.ts';
import { DomainFeedFile } from '../../activities/domains/domainFeedFile.ts';
import { EdlFile, type Entries } from '../../activities/enforce/edlFile.ts';
import { createApp } from '../../api/app.ts';
import type { DomainFeedSource } from '../../api/routes/feeds.ts';
import { testPolicy } from '../support/temporal.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'domain-feed-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;

describe('the domain feed file', () => {
  test('entries survive into a new instance, and concurrent changes share one write', async () => {
    const path = join(dir, 'durable.json');
    const feed = new DomainFeedFile(path);
    const expiresAt = Date.now() + HOUR;
    const batches = new Set<Entries>();
    // The first change starts a write on its own; every change queued behind it is applied to one map and written once.
    await Promise.all([
      feed.add('first.example', expiresAt),
      ...['a.example', 'xn--bcher-kva.example', 'http://evil.example/login', 'a.example'].map((entry) => feed.add(entry, expiresAt)),
      ...Array.from({ length: 20 }, () => feed.update((entries) => void batches.add(entries))),
    ]);
    assert.equal(batches.size, 1);
    assert.deepEqual((await new DomainFeedFile(path).list()).map((e) => e.entry), ['a.example', 'first.example', 'http://evil.example/login', 'xn--bcher-kva.example']);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left behind');
  });

  test('an add never shortens an entry; expired entries are not listed, and the next write prunes them', async () => {
    const path = join(dir, 'expiry.json');
    const feed = new DomainFeedFile(path);
    const now = Date.now();
    await feed.add('long.example', now + HOUR);
    await feed.add('long.example', now + 1_000);
    await feed.add('short.example', now + 1_000);
    assert.deepEqual(await new DomainFeedFile(path).list(now), [{ entry: 'long.example', expiresAt: now + HOUR }, { entry: 'short.example', expiresAt: now + 1_000 }]);
    assert.deepEqual((await feed.list(now + 2_000)).map((e) => e.entry), ['long.example']);
    await feed.add('brief.example', Date.now() + 50);
    await new Promise((r) => setTimeout(r, 60));
    await feed.add('last.example', now + HOUR);
    assert.deepEqual(Object.keys(JSON.parse(await readFile(path, 'utf8')).entries), ['last.example', 'long.example', 'short.example']);
  });

  test('removing an entry takes it off; removing an absent one succeeds', async () => {
    const feed = new DomainFeedFile(join(dir, 'remove.json'));
    await feed.add('gone.example', Date.now() + HOUR);
    await feed.remove('gone.example');
    await feed.remove('never.example');
    assert.deepEqual(await feed.list(), []);
  });

  test('an entry that would put another line on the feed, or an expiry that is not a time, is refused', async () => {
    const feed = new DomainFeedFile(join(dir, 'refused.json'));
    for (const entry of ['', 'evil.example\ngood.example', 'evil.example good.example', 'evil.example\u0000']) {
      await assert.rejects(feed.add(entry, Date.now() + HOUR), { type: 'InvalidFeedEntry', nonRetryable: true }, JSON.stringify(entry));
    }
    await assert.rejects(feed.add('evil.example', Number.NaN), { type: 'InvalidExpiry', nonRetryable: true });
    assert.deepEqual(await feed.list(), []);
  });

  test('a malformed file is an error, never an empty list, and a change leaves it for the operator to see', async () => {
    const path = join(dir, 'malformed.json');
    const feed = new DomainFeedFile(path);
    for (const text of ['{"entries": {"a.example": 17', '{"entries": "x"}', '{"entries": ["a.example"]}', '{"entries": {"a.example": "soon"}}', 'null']) {
      await writeFile(path, text);
      await assert.rejects(feed.list(), text);
      await assert.rejects(feed.add('b.example', Date.now() + HOUR), text);
      assert.equal(await readFile(path, 'utf8'), text);
    }
  });
});

const FEED_TOKEN = 'feed-token-for-the-proxy-0123456789';
const API_KEY = 'domain-feed-test-key-0123456789abcdef';

interface FeedApi {
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
  logged: Record<string, unknown>[];
}

/** The real app on a loopback port; nothing here reaches Temporal, so its connection is lazy and never used. */
async function withFeedApi(deps: { domainFeed?: DomainFeedSource; edlPath?: string }, run: (api: FeedApi) => Promise<void>): Promise<void> {
  const connection = Connection.lazy({ address: '127.0.0.1:9' });
  const logged: Record<string, unknown>[] = [];
  const app = createApp({
    client: new Client({ connection }),
    taskQueue: 'unused',
    apiKeys: [API_KEY],
    feedToken: FEED_TOKEN,
    maxBodyBytes: 1024,
    policy: () => testPolicy(),
    blocklist: new EdlFile(deps.edlPath ?? join(dir, 'no-edl.json')),
    domainFeed: deps.domainFeed,
    links: { consoleBase: 'http://riposte.test', temporalUiBase: 'http://temporal-ui.test' },
    coalesceWindowMs: 5,
    log: (_message, fields) => void logged.push(fields),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run({
      logged,
      async get(path, headers = {}) {
        const response = await fetch(`${url}${path}`, { headers });
        return { status: response.status, text: await response.text(), headers: response.headers };
      },
    });
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await connection.close();
  }
}

const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${FEED_TOKEN}`;
const fixed = (entries: string[]): DomainFeedSource => ({ list: async () => entries.map((entry): DomainFeedEntry => ({ entry, expiresAt: Date.now() + HOUR })) });

describe('GET /v1/feeds/domains.txt', () => {
  test('needs the feed token or an API key, and answers a plain-text list that pullers revalidate', async () => {
    await withFeedApi({ domainFeed: fixed(['evil.example']) }, async (api) => {
      assert.equal((await api.get('/v1/feeds/domains.txt')).status, 401);
      assert.equal((await api.get('/v1/feeds/domains.txt?token=wrong-token')).status, 401);
      const basic = `Basic ${Buffer.from(`proxy:${FEED_TOKEN}`).toString('base64')}`;
      for (const [path, headers] of [[withToken('/v1/feeds/domains.txt'), {}], ['/v1/feeds/domains.txt', { authorization: basic }], ['/v1/feeds/domains.txt', { 'x-api-key': API_KEY }]] as const) {
        const r = await api.get(path, headers);
        assert.deepEqual([r.status, r.text, r.headers.get('content-type'), r.headers.get('cache-control')], [200, 'evil.example\n', 'text/plain; charset=utf-8', 'no-cache'], path);
      }
    });
  });

  test('lists each entry once, in plain string order; kind=domain the domains alone, kind=url the URLs alone', async () => {
    const entries = ['b.example', 'http://a.example/login', 'xn--bcher-kva.example', 'a.example', 'https://b.example/', 'b.example'];
    await withFeedApi({ domainFeed: fixed(entries) }, async (api) => {
      const lines = async (query: string) => (await api.get(withToken(`/v1/feeds/domains.txt${query}`))).text;
      assert.equal(await lines(''), 'a.example\nb.example\nhttp://a.example/login\nhttps://b.example/\nxn--bcher-kva.example\n');
      assert.equal(await lines('?kind=domain'), 'a.example\nb.example\nxn--bcher-kva.example\n');
      assert.equal(await lines('?kind=url'), 'http://a.example/login\nhttps://b.example/\n');
      for (const query of ['?kind=ip', '?kind=url&kind=domain']) {
        const refused = await api.get(withToken(`/v1/feeds/domains.txt${query}`));
        assert.deepEqual([refused.status, JSON.parse(refused.text).error], [400, 'validation_failed'], query);
      }
    });
  });

  test('an unchanged list is a 304 on its ETag, even weakened by a proxy; a change is a new ETag', async () => {
    const feed = new DomainFeedFile(join(dir, 'etag.json'));
    await feed.add('evil.example', Date.now() + HOUR);
    await withFeedApi({ domainFeed: feed }, async (api) => {
      const path = withToken('/v1/feeds/domains.txt');
      const first = await api.get(path);
      const etag = first.headers.get('etag')!;
      assert.match(etag, /^"[\w-]{27}"$/);
      for (const match of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        // fetch() sends no-cache with every conditional request; a puller may too, and still wants its 304.
        const unchanged = await api.get(path, { 'if-none-match': match, 'cache-control': 'no-cache' });
        assert.deepEqual([unchanged.status, unchanged.text], [304, ''], match);
      }
      await feed.add('worse.example', Date.now() + HOUR);
      const changed = await api.get(path, { 'if-none-match': etag });
      assert.deepEqual([changed.status, changed.text], [200, 'evil.example\nworse.example\n']);
      assert.notEqual(changed.headers.get('etag'), etag);
    });
  });

  test('an unreadable list is a 503, so pullers keep their last good one; the IP feed too', async () => {
    const domainPath = join(dir, 'corrupt-domains.json');
    const edlPath = join(dir, 'corrupt-edl.json');
    await writeFile(domainPath, '{"entries": {"evil.exa');
    await writeFile(edlPath, '{"entries": {"192.0.2');
    await withFeedApi({ domainFeed: new DomainFeedFile(domainPath), edlPath }, async (api) => {
      for (const [path, feed] of [['/v1/feeds/domains.txt', 'domains'], ['/v1/feeds/blocklist.txt', 'blocklist']] as const) {
        const r = await api.get(withToken(path));
        assert.deepEqual([r.status, JSON.parse(r.text).error], [503, 'feed_unavailable'], path);
        assert.equal(api.logged.filter((fields) => fields.feed === feed).length, 1, `the ${feed} failure is logged`);
      }
    });
  });

  test('without a domain feed configured, the right token gets 404 not_configured, never a 401 or an empty list', async () => {
    await withFeedApi({}, async (api) => {
      const r = await api.get(withToken('/v1/feeds/domains.txt'));
      assert.deepEqual([r.status, JSON.parse(r.text).error, r.headers.get('cache-control')], [404, 'not_configured', 'no-cache']);
    });
  });
});
