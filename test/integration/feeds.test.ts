import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { discardAudit } from '../../activities/audit/index.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { edlPoint } from '../../activities/enforce/edlEnforcer.ts';
import { createNotifyActivities } from '../../activities/notify/index.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import type { OperatorNotice } from '../../activities/enforce/pointServices.ts';
import { type AppDeps, createApp } from '../../api/app.ts';
import { sha256Hex } from '../../api/auth.ts';
import { parsePrincipals } from '../../runtime/principals.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually, serveApp, startRiposte, TEST_API_KEY, testKey, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const HOUR = 3_600_000;
const admin = { authorization: `Bearer ${TEST_API_KEY}` };
const viewer = testKey('soc-viewer', 'viewer');
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`firewall:${password}`).toString('base64')}` });

interface FeedApi {
  call(method: string, path: string, headers?: Record<string, string>, body?: unknown): Promise<{ status: number; text: string; json: any; headers: Headers }>;
  logged: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The real app on a loopback port, as runtime/wiring.ts builds it, with the feed log kept. */
async function startFeedApi(deps: Pick<AppDeps, 'client' | 'blocklist' | 'feedToken' | 'feedConsumers'> & Partial<AppDeps>): Promise<FeedApi> {
  const logged: Record<string, unknown>[] = [];
  const app = createApp({
    taskQueue: 'unused',
    apiKeys: [TEST_API_KEY, viewer.spec],
    maxBodyBytes: 64 * 1024,
    coalesceWindowMs: 5,
    policy: () => testPolicy(),
    links: { consoleBase: 'http://riposte.test' },
    log: () => undefined,
    feedLog: (message, fields) => void logged.push({ message, ...fields }),
    ...deps,
  });
  const served = await serveApp(app);
  return { logged, call: (method, path, headers = {}, body) => served.call(method, path, body, headers), close: served.close };
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('feed consumers with tokens of their own, and ETags', () => {
  const paToken = `pa-${randomBytes(24).toString('base64url')}`;
  const fortiToken = `forti-${randomBytes(24).toString('base64url')}`;
  const legacyToken = `legacy-${randomBytes(24).toString('base64url')}`;
  const principals = (feeds: string) => parsePrincipals(`keys: []\nfeeds:\n${feeds}`, 'principals.yaml').feeds;
  const both = `  - { name: pa-edge-1, sha256: ${sha256Hex(paToken)} }\n  - { name: forti-dc, sha256: ${sha256Hex(fortiToken)} }\n`;
  let dir: string;
  let file: EdlFile;
  let connection: Connection;
  let client: Client;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feeds-'));
    file = new EdlFile(join(dir, 'edl.json'));
    // Nothing here reaches Temporal: the connection is lazy and never used.
    connection = Connection.lazy({ address: '127.0.0.1:9' });
    client = new Client({ connection });
  });
  after(async () => {
    await connection?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('each firewall pulls with its own token, as ?token= or the Basic password; RIPOSTE_FEED_TOKEN still works; each fetch is recorded under its consumer', async () => {
    await file.add('192.0.2.1', Date.now() + HOUR);
    const api = await startFeedApi({ client, blocklist: file, feedToken: legacyToken, feedConsumers: principals(both) });
    try {
      for (const [headers, path, consumer] of [
        [{}, `/v1/feeds/blocklist.txt?token=${paToken}`, 'pa-edge-1'],
        [basic(fortiToken), '/v1/feeds/blocklist.txt', 'forti-dc'],
        [basic(legacyToken), '/v1/feeds/blocklist.txt', 'env:RIPOSTE_FEED_TOKEN'],
      ] as const) {
        const answer = await api.call('GET', path, headers);
        assert.deepEqual([answer.status, lines(answer.text)], [200, ['192.0.2.1']], consumer);
        assert.deepEqual(api.logged.at(-1), { message: 'feed fetched', consumer, at: api.logged.at(-1)!.at, feed: 'blocklist', status: 200, entries: 1, from: '127.0.0.1' });
      }
      for (const headers of [basic('not-a-token'), {}]) assert.equal((await api.call('GET', `/v1/feeds/blocklist.txt`, headers)).status, 401);
      assert.equal((await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}x`)).status, 401);

      const status = await api.call('GET', '/v1/feeds/status', viewer.auth);
      assert.equal(status.status, 200, status.text);
      assert.deepEqual(status.json.consumers.map((c: any) => [c.name, c.configured, c.lastFetch?.status ?? null]), [
        ['env:RIPOSTE_FEED_TOKEN', true, 200], ['forti-dc', true, 200], ['pa-edge-1', true, 200],
      ]);
      assert.deepEqual(status.json.blocklist, { held: false });
      assert.equal((await api.call('GET', '/v1/feeds/status', basic(paToken))).status, 401, 'a feed token reads the feeds and nothing else');
    } finally {
      await api.close();
    }
  });

  test('revoking a consumer is removing its entry: after the API restarts its token gets 401, the others keep pulling', async () => {
    const api = await startFeedApi({ client, blocklist: file, feedConsumers: principals(`  - { name: pa-edge-1, sha256: ${sha256Hex(paToken)} }\n`) });
    try {
      assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt', basic(fortiToken))).status, 401);
      assert.equal((await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}`)).status, 200);
      assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt', basic(legacyToken))).status, 401, 'RIPOSTE_FEED_TOKEN unset: no unnamed consumer');
    } finally {
      await api.close();
    }
  });

  test('a consumer token is checked against its principals entry: one token per consumer, never an API key', () => {
    assert.throws(() => principals(`  - { name: a, sha256: ${sha256Hex(paToken)} }\n  - { name: b, sha256: ${sha256Hex(paToken)} }\n`), /feeds\[1\]\.sha256: the same token as feeds\[0\]/);
    assert.throws(() => parsePrincipals(`keys:\n  - { name: k, role: viewer, sha256: ${sha256Hex(paToken)} }\nfeeds:\n  - { name: a, sha256: ${sha256Hex(paToken)} }\n`, 'p.yaml'), /feeds\[0\]\.sha256: the same secret as keys\[0\]: a feed token must not also be an API key/);
    assert.throws(() => principals('  - { name: "bad name", sha256: abc }\n'), /feeds\[0\]\.name: .*\n.*feeds\[0\]\.sha256: the hex SHA-256 of the token: 64 hex digits \(printf %s "\$TOKEN" \| sha256sum\)/);
  });

  test('every answer has an ETag; If-None-Match with it is 304 until the list changes', async () => {
    const api = await startFeedApi({ client, blocklist: file, feedConsumers: principals(both) });
    try {
      const first = await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}`);
      const etag = first.headers.get('etag')!;
      assert.match(etag, /^"[\w-]{27}"$/);
      const again = await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}`, { 'if-none-match': etag });
      assert.deepEqual([again.status, again.text, again.headers.get('etag')], [304, '', etag]);
      assert.equal((await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}`, { 'if-none-match': `W/${etag}` })).status, 304, 'a weakened ETag still matches');
      assert.equal(api.logged.at(-1)!.status, 304, 'a 304 is recorded too');

      await file.add('192.0.2.2', Date.now() + HOUR);
      const changed = await api.call('GET', `/v1/feeds/blocklist.txt?token=${paToken}`, { 'if-none-match': etag });
      assert.equal(changed.status, 200);
      assert.deepEqual(lines(changed.text), ['192.0.2.1', '192.0.2.2']);
      assert.notEqual(changed.headers.get('etag'), etag);
    } finally {
      await api.close();
    }
  });
});

describe('the shrink guard, with real blocks lifted through the API and the worker writing the feed', () => {
  const policy = testPolicy({ enforcement: { points: ['edl'], notify: ['webhook'] } });
  let receiver: HttpReceiver;
  let riposte: TestRiposte;
  let api: FeedApi;
  before(async () => {
    receiver = await startReceiver();
    const { notifyOperators } = createNotifyActivities({ notifiers: [createWebhookNotifier({ url: `${receiver.url}/riposte` })], audit: discardAudit });
    // The edl point as the registry makes it, with the operators' notices going to the policy's route, as runtime/wiring.ts does.
    riposte = await startRiposte({
      policy,
      points: (dataDir) => {
        const context = {
          paths: { edlFile: join(dataDir, 'edl.json'), dryRunLog: join(dataDir, 'dry-run.jsonl') },
          allowlist: [],
          notifyOperators: async (notice: OperatorNotice) => {
            await notifyOperators({ ...notice, route: 'webhook' });
          },
        };
        return [edlPoint.create(edlPoint.settings.parse({ RIPOSTE_EDL_SHRINK_MIN_ENTRIES: '4' }), context)];
      },
    });
    api = await startFeedApi({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement`, policy: () => policy, blocklist: riposte.edl, feedToken: 'feed-token-for-the-firewall-0123', feedConsumers: [] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    await receiver?.close();
  });

  const feed = async () => new Set(lines((await api.call('GET', '/v1/feeds/blocklist.txt?token=feed-token-for-the-firewall-0123')).text));
  const notices = () => receiver.requests.map((r) => JSON.parse(r.body));
  let served = new Set<string>();
  const feedHas = (address: string) => served.has(address);
  const refresh = async () => {
    served = await feed();
  };
  const block = async (addresses: string[]) => {
    const answer = await api.call('POST', '/v1/blocks', admin, addresses.map((ip) => ({ ip, duration: '1h', reason: 'shrink guard test' })));
    assert.equal(answer.status, 202, answer.text);
    await eventually('the blocks in the feed', async () => {
      await refresh();
      return addresses.every(feedHas) ? true : undefined;
    });
  };
  const lift = async (addresses: string[]) => {
    for (const address of addresses) assert.equal((await api.call('DELETE', `/v1/blocks/${address}`, admin, { reason: 'shrink guard test' })).status, 202);
    await eventually('the lifts done', async () => ((await Promise.all(addresses.map((a) => riposte.blocks.read(a)))).every((b) => b === null) ? true : undefined));
    await eventually('the live list without them', async () => ((await riposte.edl.live()).some((t) => addresses.includes(t.address)) ? undefined : true));
  };

  test('lifting most of the list at once is held: the feed keeps serving it, the operators are told once, an admin releases it', async () => {
    const kept = [uniqueAddress(), uniqueAddress()];
    const lifted = Array.from({ length: 6 }, () => uniqueAddress());
    await block([...kept, ...lifted]);
    await lift(lifted);

    await refresh();
    assert.deepEqual([...kept, ...lifted].filter((a) => !feedHas(a)), [], 'every lifted address is still served');
    const [notice] = await eventually('the notice', () => (notices().length > 0 ? notices() : undefined));
    assert.equal(notice.event, 'riposte.incident');
    assert.equal(notice.entity, 'the blocklist feed');
    assert.equal(notice.status, 'held');
    assert.match(notice.title, /^The blocklist feed is held: it would drop [56] of 8 entries at once$/);
    assert.match(notice.action, /release the hold \(POST \/v1\/feeds\/blocklist\/release, admin\)/);

    const status = await api.call('GET', '/v1/feeds/status', viewer.auth);
    assert.equal(status.json.blocklist.held, true);
    assert.deepEqual([status.json.blocklist.hold.withheld, status.json.blocklist.hold.entries, [...status.json.blocklist.hold.sample].sort()], [6, 2, [...lifted].sort()]);

    assert.equal((await api.call('POST', '/v1/feeds/blocklist/release', viewer.auth)).status, 403, 'an admin releases');
    const released = await api.call('POST', '/v1/feeds/blocklist/release', admin);
    assert.equal(released.status, 200, released.text);
    assert.equal(released.json.released.withheld, 6);
    assert.match(released.json.released.released.by, /^api-key:/);
    await refresh();
    assert.deepEqual([...served].filter((a) => [...kept, ...lifted].includes(a)).sort(), [...kept].sort(), 'from the next fetch on, the lifted addresses are gone');
    assert.equal((await api.call('POST', '/v1/feeds/blocklist/release', admin)).status, 409, 'nothing more to release');
    assert.equal(notices().length, 1, 'one notice for the hold');
  });

  test('a hold ends by itself when the list recovers, and a new hold is told again', async () => {
    // With the two blocks kept above: 7 of 12 lifted at once.
    const stay = Array.from({ length: 3 }, () => uniqueAddress());
    const back = Array.from({ length: 7 }, () => uniqueAddress());
    await block([...stay, ...back]);
    await lift(back);
    await eventually('the second notice', () => (notices().length === 2 ? true : undefined));
    await refresh();
    assert.deepEqual(back.filter((a) => !feedHas(a)), [], 'held');

    // Blocked again, they are live blocks once more (the feed served them all along, so it cannot tell).
    await block(back);
    await eventually('the live list with them', async () => {
      const live = new Set((await riposte.edl.live()).map((t) => t.address));
      return back.every((a) => live.has(a)) ? true : undefined;
    });
    assert.equal((await api.call('GET', '/v1/feeds/status', viewer.auth)).json.blocklist.held, false);
    await refresh();
    assert.deepEqual([...stay, ...back].filter((a) => !feedHas(a)), []);
    assert.equal(notices().length, 2);
  });
});
