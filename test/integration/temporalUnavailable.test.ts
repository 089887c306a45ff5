/**
 * While Temporal is down the API answers 503 with Retry-After within 2 s, so a SIEM's webhook sees it and sends again
 * rather than timing out: the app here is pointed at a port nothing listens on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createApp } from '../../api/app.ts';
import { freePort } from '../../runtime/freePort.ts';
import { serveApp, type TestApi, testPolicy, uniqueAddress } from '../support/temporal.ts';

let dir: string;
let connection: Connection;
let api: TestApi;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-down-'));
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const policy = testPolicy();
  api = await serveApp(createApp({
    client: new Client({ connection }),
    taskQueue: 'temporal-down-test',
    apiKeys: ['down-test-key-0123456789abcdefghij'],
    maxBodyBytes: 64 * 1024,
    coalesceWindowMs: 5,
    policy: () => policy,
    blocklist: new EdlFile(join(dir, 'edl.json')),
    links: {},
    log: () => undefined,
  }));
});
after(async () => {
  await api?.close();
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = { authorization: 'Bearer down-test-key-0123456789abcdefghij' };

test('POST /v1/alerts answers 503 temporal_unavailable with Retry-After in under 2 s, each time; /readyz answers 503 too', async () => {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const started = performance.now();
    const answer = await api.call('POST', '/v1/alerts', { id: `down-${attempt}`, source: 'generic', type: 'auth.failure', sourceIp: uniqueAddress() }, auth);
    // The feature is the bound: a SIEM webhook's timeout, with room for a loaded machine.
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error, 'temporal_unavailable');
    assert.equal(answer.headers.get('retry-after'), '5');
    assert.ok(elapsed < 2_500, `answered in ${Math.round(elapsed)} ms`);
  }
  const ready = await api.call('GET', '/readyz', undefined, {});
  assert.equal(ready.status, 503);
  assert.equal(ready.headers.get('retry-after'), '5');
});
