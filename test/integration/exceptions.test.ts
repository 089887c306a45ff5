import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { AuditRecord, AuditSink } from '../../activities/audit/record.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { eventually, startApi, startRiposte, testKey, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

describe('exceptions that expire', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
  const rita = testKey('rita', 'responder');
  const vera = testKey('vera', 'viewer');
  const records: AuditRecord[] = [];
  const audit: AuditSink = { append: async (batch) => void records.push(...batch), close: async () => undefined };
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy, audit });
    api = await startApi(riposte, policy, { keys: [rita.spec, vera.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  const enforced = async (address: string) => (await riposte.edl.read()).some((t) => t.address === address);
  const block = (ip: string) => api.call('POST', '/v1/blocks', { ip, duration: '1h', reason: 'scanning' }, rita.auth);
  async function blocked(ip: string): Promise<void> {
    assert.equal((await block(ip)).status, 202);
    await eventually(`${ip} enforced`, async () => ((await enforced(ip)) ? true : undefined));
  }
  const recordsOf = (action: string, target: string) => records.filter((r) => r.action === action && r.target === target);

  test('an exception lifts the block of its address, refuses new blocks while it lives, and ends by itself', async () => {
    const ip = uniqueAddress();
    await blocked(ip);

    const added = await api.call('POST', '/v1/exceptions', { kind: 'address', value: ip.toUpperCase(), reason: 'partner pentest', for: '10s' }, rita.auth);
    assert.equal(added.status, 201, added.text);
    const { exception, lifted } = added.json;
    assert.deepEqual([exception.kind, exception.value, exception.by, exception.reason], ['address', ip, 'rita', 'partner pentest'], 'canonical, by the principal of the key');
    assert.deepEqual(lifted, [ip]);
    await eventually('the block gone from the feed', async () => ((await enforced(ip)) ? undefined : true));
    await eventually('the block gone from its shard', async () => ((await riposte.blocks.read(ip)) === null ? true : undefined));
    const removal = await eventually('the removal audited with its author and reason', () => recordsOf('block.remove', ip).find((r) => r.phase === 'after'));
    assert.equal(removal.actor.name, 'rita');
    assert.match(removal.trigger.reason!, new RegExp(`exception ${exception.id}: partner pentest`));

    const listed = await api.call('GET', '/v1/exceptions', undefined, vera.auth);
    assert.equal(listed.status, 200);
    assert.ok(listed.json.exceptions.some((e: { id: string }) => e.id === exception.id));

    const refused = await block(ip);
    assert.deepEqual([refused.status, refused.json.error, refused.json.issues[0].path], [403, 'excepted', 'ip'], refused.text);
    assert.equal(await riposte.blocks.read(ip), null, 'nothing requested');

    assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip })).status, 202);
    const incident = await eventually('the incident refused by the exception', async () => {
      const state = await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery);
      return state.status === 'allowlisted' ? state : undefined;
    });
    assert.match(incident.actions.find((a) => a.kind === 'block')!.detail, new RegExp(`covered by exception ${exception.id}`));
    const explained = await api.call('GET', `/v1/explain/${encodeURIComponent(ip)}`);
    assert.equal(explained.json.exception?.id, exception.id);
    assert.ok(explained.json.reasons.some((r: string) => r.includes(`exception ${exception.id}`)), explained.text);

    await eventually('the exception ended by itself', async () => {
      const r = await api.call('GET', '/v1/exceptions');
      return r.json.exceptions.some((e: { id: string }) => e.id === exception.id) ? undefined : true;
    }, 30_000);
    await blocked(ip);
    const expiry = await eventually('the expiry audited', () => recordsOf('exception.expire', ip)[0]);
    assert.deepEqual([expiry.actor.kind, expiry.parameters.by, expiry.parameters.id], ['automation', 'rita', exception.id]);
    const add = recordsOf('exception.add', ip);
    assert.deepEqual(add.map((r) => [r.phase, r.actor.name, r.result]), [['before', 'rita', undefined], ['after', 'rita', 'success']]);
  });

  test('a range exception lifts every live block inside it; removed early, it is audited and gone', async () => {
    const range = canonicalCidr(`${uniqueAddress()}/64`);
    const inside = [`${range.network.replace(/::$/, '')}::7`, `${range.network.replace(/::$/, '')}::8`].map((a) => canonicalCidr(a).text);
    const outside = uniqueAddress();
    for (const ip of [...inside, outside]) await blocked(ip);

    const added = await api.call('POST', '/v1/exceptions', { kind: 'address', value: range.text, reason: 'lab range', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }, rita.auth);
    assert.equal(added.status, 201, added.text);
    assert.deepEqual([...added.json.lifted].sort(), [...inside].sort());
    for (const ip of inside) await eventually(`${ip} lifted`, async () => ((await enforced(ip)) ? undefined : true));
    assert.ok(await enforced(outside), 'a block outside the range stays');

    const id = added.json.exception.id;
    const removed = await api.call('DELETE', `/v1/exceptions/${id}`, undefined, rita.auth);
    assert.deepEqual([removed.status, removed.json.exception.id], [200, id]);
    assert.equal((await api.call('DELETE', `/v1/exceptions/${id}`, undefined, rita.auth)).status, 404, 'ended already');
    const record = await eventually('the removal audited', () => recordsOf('exception.remove', range.text)[0]);
    assert.equal(record.actor.name, 'rita');
    await blocked(inside[0]!);
  });

  test('riposte allow, exceptions and unallow', async () => {
    /** The CLI as an operator runs it, as rita; resolves with its exit code and output. */
    const riposteCli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/riposte.ts', ...args], {
      env: { ...process.env, RIPOSTE_URL: api.url, RIPOSTE_API_KEY: rita.key, RIPOSTE_API_KEY_FILE: '' },
    }).then(({ stdout }) => ({ code: 0, stdout }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout + err.stderr }));
    const ip = uniqueAddress();
    await blocked(ip);

    const allowed = await riposteCli('allow', ip, '--for', '1h', '--reason', 'partner pentest');
    assert.equal(allowed.code, 0, allowed.stdout);
    const id = allowed.stdout.match(/^exception ([0-9a-f-]{36}): address (\S+) until \S+ \(as rita\)$/m);
    assert.ok(id, allowed.stdout);
    assert.equal(id[2], ip);
    assert.match(allowed.stdout, new RegExp(`^lifted: ${ip}$`, 'm'));
    const listed = JSON.parse((await riposteCli('exceptions', '--json')).stdout);
    assert.ok(listed.exceptions.some((e: { id: string }) => e.id === id[1]));

    const noKind = await riposteCli('allow', 'svc-scan', '--for', '1h', '--reason', 'x');
    assert.equal(noKind.code, 2, 'a value that is no address needs --kind');
    assert.match(noKind.stdout, /--kind user\|host\|domain/);
    const user = await riposteCli('allow', 'SVC-Scan', '--kind', 'user', '--for', '1h', '--reason', 'migration', '--json');
    assert.equal(JSON.parse(user.stdout).exception.value, 'svc-scan');

    assert.equal((await riposteCli('unallow', id[1]!)).code, 0);
    assert.equal((await riposteCli('unallow', id[1]!)).code, 1, 'no live exception has that id any more');
    assert.equal((await riposteCli('unallow', JSON.parse(user.stdout).exception.id)).code, 0);
  });

  test('bad input gets 400 with the field at fault; a viewer may list but not change', async () => {
    const good = { kind: 'address', value: '2001:db8:ffff::1', reason: 'x', for: '1h' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, value: '010.0.0.1' }, 'value'],
      [{ ...good, kind: 'printer' }, 'kind'],
      [{ ...good, kind: 'domain', value: '*.example.org' }, 'value'],
      [{ ...good, reason: '' }, 'reason'],
      [{ ...good, reason: 'x'.repeat(501) }, 'reason'],
      [{ ...good, for: '91d' }, 'for'],
      [{ ...good, for: 'soon' }, 'for'],
      [{ ...good, expiresAt: new Date(Date.now() + 60_000).toISOString() }, 'expiresAt'],
      [{ kind: 'address', value: '2001:db8:ffff::1', reason: 'x' }, 'for'],
      [{ kind: 'address', value: '2001:db8:ffff::1', reason: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      [{ ...good, extra: true }, '(body)'],
    ];
    for (const [body, path] of cases) {
      const answer = await api.call('POST', '/v1/exceptions', body, rita.auth);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.ok(answer.json.issues.some((i: { path: string }) => i.path === path), `${JSON.stringify(body)} names ${path}: ${answer.text}`);
    }
    const badId = await api.call('DELETE', '/v1/exceptions/not-an-id', undefined, rita.auth);
    assert.deepEqual([badId.status, badId.json.issues[0].path], [400, 'params.id']);
    assert.equal((await api.call('DELETE', '/v1/exceptions/00000000-0000-4000-8000-000000000000', undefined, rita.auth)).status, 404);

    assert.equal((await api.call('POST', '/v1/exceptions', good, vera.auth)).status, 403);
    assert.equal((await api.call('DELETE', '/v1/exceptions/00000000-0000-4000-8000-000000000000', undefined, vera.auth)).status, 403);
    assert.equal((await api.call('GET', '/v1/exceptions', undefined, vera.auth)).status, 200);
  });
});
