import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createJsonlAuditReader, JsonlAuditSink } from '../../activities/audit/index.ts';
import { createOktaDirectory } from '../../activities/users/oktaDirectory.ts';
import type { HeldContainment } from '../../domain/heldContainments.ts';
import { startFakeOkta } from '../support/fakeVendors.ts';
import { eventually, startApi, startRiposte, type TestApi, testKey, type TestRiposte, testPolicy } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { 'account-compromise': { mode: 'approve', approvalTimeout: '1h', reviewWindow: '5m', notify: [] } } });
const rita = testKey('rita', 'responder');
const victor = testKey('victor', 'viewer');
const USER = 'hank@example.org';

let dir: string;
let file: JsonlAuditSink;
let okta: Awaited<ReturnType<typeof startFakeOkta>>;
let riposte: TestRiposte;
let api: TestApi;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-containments-'));
  file = await JsonlAuditSink.open(join(dir, 'audit.jsonl'));
  okta = await startFakeOkta([USER]);
  riposte = await startRiposte({ policy, audit: file, responders: { users: [createOktaDirectory({ orgUrl: okta.url, apiToken: okta.token })] } });
  api = await startApi(riposte, policy, { keys: [rita.spec, victor.spec], audit: createJsonlAuditReader(join(dir, 'audit.jsonl')) });
});
after(async () => {
  await api?.close();
  await riposte?.stop();
  await file?.close();
  await okta?.close();
  await rm(dir, { recursive: true, force: true });
});

async function containments(): Promise<HeldContainment[]> {
  const answer = await api.call('GET', '/v1/containments', undefined, victor.auth);
  assert.equal(answer.status, 200, answer.text);
  return (answer.json as { containments: HeldContainment[] }).containments;
}

/** The CLI as an operator runs it, as the viewer; its standard output. */
const riposteCli = async (...args: string[]) => (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/riposte.ts', ...args], {
  env: { ...process.env, RIPOSTE_URL: api.url, RIPOSTE_API_KEY: victor.key, RIPOSTE_API_KEY_FILE: '' },
})).stdout;

async function responder(method: string, path: string, body: unknown): Promise<void> {
  const answer = await api.call(method, path, body, rita.auth);
  assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
}

test('an account Riposte disabled is listed until a false positive re-enables it', async () => {
  const id = `account-compromise:${USER}`;
  assert.equal((await api.call('POST', '/v1/alerts', { id: 'idp-hank-1', source: 'generic', type: 'account.compromise', severity: 9, user: USER })).status, 202);
  await eventually(`${id} awaiting approval`, async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' ? true : undefined));
  assert.deepEqual(await containments(), [], 'nothing is held before the approval');

  await responder('POST', `/v1/incidents/${id}/approve`, { comment: 'confirmed with the user' });
  const listed = await eventually('the disabled account listed', async () => {
    const held = await containments();
    return held.length > 0 ? held : undefined;
  });
  assert.equal(okta.statusOf(USER), 'SUSPENDED');
  assert.equal(listed.length, 1);
  assert.deepEqual({ ...listed[0], at: undefined }, { kind: 'disable_user', target: USER, at: undefined, incidentId: id, by: 'rita' });

  const table = await riposteCli('containments');
  assert.match(table, new RegExp(`^disable_user\\s+${USER.replaceAll('.', '\\.')}\\s+\\S+\\s+rita\\s+${id.replaceAll('.', '\\.')}$`, 'm'));
  assert.deepEqual(JSON.parse(await riposteCli('containments', '--json')), { containments: listed });

  await responder('POST', `/v1/incidents/${id}/verdict`, { verdict: 'false_positive', comment: 'travelling' });
  await eventually('the account no longer listed', async () => ((await containments()).length === 0 ? true : undefined));
  assert.equal(okta.statusOf(USER), 'ACTIVE');
  assert.equal((await riposteCli('containments')).trim(), 'no account, host or domain is contained');
});

test('the list takes no query parameters and needs a viewer', async () => {
  const refused = await api.call('GET', '/v1/containments?kind=disable_user', undefined, victor.auth);
  assert.equal(refused.status, 400);
  assert.match(refused.text, /query/);
  assert.equal((await api.call('GET', '/v1/containments', undefined, {})).status, 401);
});
