import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

/** GET /v1/explain/:entity against the real workers: why an entity is, or is not, acted on now. */
describe('GET /v1/explain/:entity', () => {
  const quiet = { reviewWindow: '1m', notify: [] };
  const policy = testPolicy({
    allowlist: ['2001:db8:a11::/48'],
    protect: { users: ['svc-*'], hosts: ['dc*'] },
    playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', ...quiet }, phishing: { mode: 'auto', ...quiet } },
  });
  // Alerts sent through these APIs carry their policy into the incident; explain reads the current one, `policy`.
  const observing = testPolicy({ playbooks: { 'brute-force': { mode: 'observe', ...quiet } } });
  const demanding = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', thresholds: { minAlerts: 1000 }, reviewWindow: '2s', notify: [] } } });
  let riposte: TestRiposte;
  let api: TestApi;
  let observeApi: TestApi;
  let thresholdApi: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy);
    observeApi = await startApi(riposte, observing);
    thresholdApi = await startApi(riposte, demanding);
  });
  after(async () => {
    await api?.close();
    await observeApi?.close();
    await thresholdApi?.close();
    await riposte?.stop();
  });

  const explain = async (entity: string, query = '') => api.call('GET', `/v1/explain/${encodeURIComponent(entity)}${query}`);
  /** The explanation once visibility lists the incident and `ready` holds; a timeout shows the last answer. */
  async function explainedAt(entity: string, status: string, ready: (answer: any) => boolean = () => true) {
    let last: unknown;
    try {
      return await eventually(`${entity} explained as ${status}`, async () => {
        const r = await explain(entity);
        last = r.json;
        return r.status === 200 && r.json.incidents[0]?.status === status && ready(r.json) ? r.json : undefined;
      }, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the last answer: ${JSON.stringify(last)}`);
    }
  }
  const alert = (via: TestApi, ip: string, count = 12) => via.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count });

  test('a blocked address: acted_on, with the incident, its block action, and the block with its points, expiry and leases', async () => {
    const ip = uniqueAddress();
    assert.equal((await alert(api, ip)).status, 202);
    const id = `brute-force:${ip}`;
    const answer = await explainedAt(ip.toUpperCase(), 'contained', (a) => a.block?.state === 'active');
    assert.deepEqual([answer.entity, answer.kind, answer.verdict], [ip, 'address', 'acted_on']);
    assert.deepEqual(answer.policy, { version: policy.version });
    const [incident] = answer.incidents;
    assert.deepEqual(
      [incident.id, incident.playbook, incident.mode, incident.policyVersion, incident.open, incident.alerts.count],
      [id, 'brute-force', 'auto', policy.version, true, 12],
    );
    assert.equal(incident.alerts.sampleIds.length, 1);
    assert.deepEqual(incident.plan, [`block ${ip} for 1h`]);
    const block = incident.actions.find((a: { kind: string }) => a.kind === 'block');
    assert.equal(block.outcome, 'done');
    // The shard that holds the address, read by the address the action's lease names.
    const shard = blockShardWorkflowId(riposte.taskQueue, blockShardOf(ip));
    assert.deepEqual([block.block.workflowId, block.block.running, block.block.points, block.block.state], [shard, true, ['edl'], 'active']);
    assert.ok(Date.parse(block.block.expiresAt) > Date.now() + 50 * 60_000, 'expires in about an hour');
    assert.deepEqual(answer.block.leases.map((l: { requester: string }) => l.requester), [id]);
    assert.deepEqual([answer.block.state, answer.block.workflowId, answer.block.expiresAt], ['active', shard, block.block.expiresAt]);
    assert.match(answer.reasons[0], new RegExp(`^${id}: block ${ip} for 1h .*until \\S+Z$`));
    assert.equal(answer.reasons[1], `${ip} is blocked at edl until ${answer.block.expiresAt} (${shard}, active, held by ${id})`);

    // Lifted: the shard lets the address go, and explain no longer calls it blocked.
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`)).status, 202);
    await eventually('the entry gone from its shard', async () => ((await riposte.blocks.read(ip)) === null ? true : undefined));
    const lifted = await explainedAt(ip, 'lifted');
    assert.equal(lifted.verdict, 'not_acted_on');
    assert.equal(lifted.block, undefined);
    assert.equal(lifted.incidents[0].actions.find((a: { kind: string }) => a.kind === 'block').outcome, 'ended');
    assert.ok(!lifted.reasons.some((r: string) => r.startsWith(`${ip} is blocked`)), lifted.reasons.join('\n'));
  });

  test('observe mode and a playbook threshold: not_acted_on, each incident saying why', async () => {
    const [observed, below] = [uniqueAddress(), uniqueAddress()];
    assert.equal((await alert(observeApi, observed)).status, 202);
    assert.equal((await alert(thresholdApi, below, 3)).status, 202);
    const seen = await explainedAt(observed, 'observed');
    assert.equal(seen.verdict, 'not_acted_on');
    assert.equal(seen.incidents[0].mode, 'observe');
    assert.deepEqual(seen.incidents[0].actions.map((a: { outcome: string }) => a.outcome), ['would_do']);
    assert.ok(seen.reasons.includes(`brute-force:${observed} (observed): observe mode: would block ${observed} for 24h; nothing was contained`), seen.reasons.join('\n'));
    assert.equal(seen.block, undefined);

    const low = await explainedAt(below, 'below_threshold');
    assert.equal(low.verdict, 'not_acted_on');
    assert.deepEqual(low.incidents[0].actions, []);
    assert.ok(low.reasons.includes(`brute-force:${below} (below_threshold): below the playbook's thresholds (3 alert(s), severity 5): recorded, nothing contained`), low.reasons.join('\n'));
  });

  test('the allowlist and protect patterns of the current policy explain why not, with or without an incident', async () => {
    const quietAddress = '2001:db8:a11::5';
    const none = (await explain(quietAddress)).json;
    assert.deepEqual([none.verdict, none.incidents, none.policy.allowlisted], ['no_incident', [], '2001:db8:a11::/48']);
    assert.deepEqual(none.reasons, [
      `no open or recent incident names ${quietAddress}`,
      `${quietAddress} is on the allowlist (2001:db8:a11::/48, policy ${policy.version}): never blocked`,
    ]);

    // A group in canonical text has no leading zero: 0x1000 to 0xffff.
    const refusedAddress = `2001:db8:a11:${(0x1000 + (randomBytes(2).readUInt16BE(0) % 0xf000)).toString(16)}::7`;
    assert.equal((await alert(api, refusedAddress)).status, 202);
    const refused = await explainedAt(refusedAddress, 'allowlisted');
    assert.equal(refused.verdict, 'not_acted_on');
    assert.ok(refused.reasons.includes(`brute-force:${refusedAddress} (allowlisted): refused: ${refusedAddress} overlaps the allowlist entry 2001:db8:a11::/48`), refused.reasons.join('\n'));

    const user = (await explain('SVC-Backup@Corp.Example')).json;
    assert.deepEqual([user.entity, user.kind, user.verdict, user.policy.protectedBy], ['svc-backup@corp.example', 'user', 'no_incident', 'svc-*']);
    assert.ok(user.reasons.includes(`svc-backup@corp.example is protected by the protect.users pattern svc-* (policy ${policy.version}): never acted on`));

    // A dotted name is a domain first; the answer says it could be a host, and kind=host reads it as one.
    const guessed = (await explain('DC01.corp.example')).json;
    assert.deepEqual([guessed.kind, guessed.policy.protectedBy], ['domain', undefined]);
    assert.ok(guessed.reasons.includes('read as a domain; it is also a valid host and user: pass kind to choose'), guessed.reasons.join('\n'));
    const host = (await explain('DC01.corp.example', '?kind=host')).json;
    assert.deepEqual([host.entity, host.kind, host.policy.protectedBy], ['dc01.corp.example', 'host', 'dc*']);
  });

  test('a user in DOMAIN\\user form: found by any spelling, in explain, in the incidents list and by its URL-encoded id', async () => {
    const account = `alice-${randomBytes(3).toString('hex')}`;
    const user = `corp\\${account}`;
    const posted = await api.call('POST', '/v1/alerts', { id: `click-${account}`, source: 'generic', type: 'phishing.click', user: `CORP\\${account.toUpperCase()}`, url: 'https://login.evil.example/a' });
    assert.equal(posted.status, 202, posted.text);
    const id = `phishing:${user}`;
    assert.equal(posted.json.incidents[0].id, id);
    const answer = await eventually('the phishing incident explained', async () => {
      const r = await explain(`Corp\\${account}`);
      return r.json?.incidents.length === 1 && r.json.incidents[0].status !== 'triage' ? r.json : undefined;
    }, 30_000);
    assert.deepEqual([answer.entity, answer.kind, answer.incidents[0].id, answer.incidents[0].playbook], [user, 'user', id, 'phishing']);
    assert.equal(answer.verdict, 'not_acted_on', 'a ticket is no containment');

    const listed = await api.call('GET', `/v1/incidents?entity=${encodeURIComponent(`CORP\\${account}`)}`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.incidents.map((i: { id: string }) => i.id), [id]);
    const asHost = await api.call('GET', `/v1/incidents?entity=${encodeURIComponent(`CORP\\${account}`)}&kind=host`);
    assert.deepEqual([asHost.status, asHost.json.issues[0].path], [400, 'query.entity']);

    const shown = await api.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
    assert.deepEqual([shown.status, shown.json.entity, shown.json.entityKind], [200, user, 'user']);
    const other = await api.call('GET', `/v1/incidents/${encodeURIComponent(`impossible-travel:${user}`)}`);
    assert.deepEqual([other.status, other.json.message], [404, `no incident impossible-travel:${user}`]);
    const otherSpelling = await api.call('GET', `/v1/incidents/${encodeURIComponent(`phishing:CORP\\${account}`)}`);
    assert.deepEqual([otherSpelling.status, otherSpelling.json.id], [200, id], 'another spelling of the entity names the same incident');
    const malformed = await api.call('GET', `/v1/incidents/${encodeURIComponent('phishing:not a user')}`);
    assert.equal(malformed.status, 404);
    assert.match(malformed.json.message, /incident ids are <playbook>:<canonical entity>, such as brute-force:203\.0\.113\.7, impossible-travel:alice@example\.org, phishing:alice@example\.org, lateral-movement:ws-042\.corp\.example, account-compromise:alice@example\.org/);
  });

  test('the kill switch: an incident held by it is not acted on and says so; once resumed, it is', async () => {
    const ip = uniqueAddress();
    assert.equal((await api.call('POST', '/v1/control/pause', { reason: 'explain test' })).status, 200);
    try {
      assert.equal((await alert(api, ip)).status, 202);
      const held = await explainedAt(ip, 'paused');
      assert.equal(held.verdict, 'not_acted_on');
      assert.match(held.incidents[0].reason, /^held by the kill switch \(kill switch on, set by api-key:\S+: explain test\): containment waits until an admin resumes$/);
      assert.ok(held.reasons.some((r: string) => /^the kill switch is on \(set by api-key:\S+ at \S+Z: explain test\): no containment runs until an admin resumes$/.test(r)), held.reasons.join('\n'));
    } finally {
      assert.equal((await api.call('POST', '/v1/control/resume', {})).status, 200);
    }
    const acted = await explainedAt(ip, 'contained');
    assert.equal(acted.verdict, 'acted_on');
    assert.ok(!acted.reasons.some((r: string) => r.includes('kill switch')));
    await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  test('a malformed entity or kind gets 400 naming the field, never a stack trace', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['010.0.0.1', '', 'entity', /read as an address: invalid IP address "010\.0\.0\.1"/],
      ['bad entity!', '', 'entity', /read as a host: character " " at position 4/],
      ['https://intranet', '', 'entity', /read as a URL: /],
      ['dc01', '?kind=domain', 'entity', /^not a valid domain: a domain needs at least two labels/],
      ['dc01', '?kind=planet', 'query.kind', /./],
      ['dc01', '?kind=host&verbose=1', 'query', /./],
    ];
    for (const [entity, query, path, message] of cases) {
      const r = await explain(entity, query);
      assert.equal(r.status, 400, `${entity}${query}: ${r.text}`);
      assert.equal(r.json.error, 'validation_failed');
      const issue = r.json.issues.find((i: { path: string }) => i.path === path);
      assert.ok(issue, `${entity}${query}: ${JSON.stringify(r.json.issues)}`);
      assert.match(issue.message, message);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    }
  });
});
