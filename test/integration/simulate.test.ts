import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { normalizerFor } from '../../api/routes/simulate.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { replay } from '../../domain/simulation/replay.ts';
import type { Decision, SimulatedIncident } from '../../domain/simulation.ts';
import { eventually, startApi, startRiposte, TEST_API_KEY, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const tag = () => randomBytes(3).toString('hex');

/** Where a live incident's response stops moving until a person or a timer acts. */
const SETTLED = new Set(['contained', 'awaiting_approval', 'observed', 'allowlisted', 'protected', 'responded', 'watching']);

/** What the live incident decided for one planned action, read from its state as GET /v1/incidents/:id shows it. */
function liveDecision(state: IncidentState, idempotencyKey: string): Decision | 'none' {
  const record = state.actions.find((a) => a.idempotencyKey === idempotencyKey);
  if (!record) return state.status === 'awaiting_approval' ? 'approve' : 'none';
  if (record.outcome === 'done' || record.outcome === 'skipped') return 'run';
  return record.outcome === 'would_do' || record.outcome === 'refused' ? record.outcome : 'none';
}

/** The simulated incident and the live one side by side, in the terms both share. */
function sideBySide(simulated: SimulatedIncident, live: IncidentState) {
  // A live incident below its thresholds keeps watching for more alerts; the simulation has seen them all.
  const liveStatus = live.status === 'watching' ? 'below_threshold' : live.status;
  return {
    simulated: {
      status: simulated.status,
      plan: simulated.actions.map((a) => a.description),
      decisions: simulated.actions.map((a) => [a.kind, a.decision]),
      approval: simulated.approval ?? null,
      autoApproved: simulated.autoApprovedBy !== undefined,
    },
    live: {
      status: liveStatus,
      plan: live.plan,
      decisions: simulated.actions.map((a) => [a.kind, liveDecision(live, a.idempotencyKey)]),
      approval: live.status === 'awaiting_approval' ? { reasons: live.approvalReasons, approvals: live.approvalsNeeded } : null,
      autoApproved: live.approval?.by === 'automation',
    },
  };
}

describe('riposte simulate decides as the live incidents do', () => {
  // Observe, approve and auto modes, the two-person rule, the allowlist, protect, a per-action mode and thresholds.
  const policyA = testPolicy({
    allowlist: ['2001:db8:a5e::/48'],
    protect: { users: ['svc-*'] },
    approvals: { disable_user: 2 },
    playbooks: {
      'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1m', notify: [] },
      'account-compromise': { mode: 'approve', reviewWindow: '1m', notify: [] },
      'lateral-movement': { mode: 'observe', reviewWindow: '1m', notify: [] },
      phishing: { mode: 'auto', domainBlockDuration: '7d', actionModes: { blocklist_domain: 'approve' }, thresholds: { minAlerts: 2 }, reviewWindow: '1m', notify: [] },
    },
  });
  // Approve mode inside an auto-approve window that is always open: the block runs, approved by automation.
  const policyB = testPolicy({
    playbooks: {
      'brute-force': { mode: 'approve', autoApproveWindows: ['Sun-Sat 00:00-24:00'], blockDuration: '2h', reviewWindow: '1m', notify: [] },
      'account-compromise': { mode: 'auto', reviewWindow: '1m', notify: [] },
    },
  });
  const responder = testKey('rita', 'responder');
  let riposte: TestRiposte;
  let apiA: TestApi;
  let apiB: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy: policyA });
    apiA = await startApi(riposte, policyA, { keys: [responder.spec] });
    apiB = await startApi(riposte, policyB);
  });
  after(async () => {
    await apiA?.close();
    await apiB?.close();
    await riposte?.stop();
  });

  /** Posts each body as its own request, in order, then simulates the same bodies and reads every live incident. */
  async function liveAndSimulated(api: TestApi, policy: PolicySnapshot, bodies: Record<string, unknown>[]) {
    for (const body of bodies) assert.equal((await api.call('POST', '/v1/alerts', body)).status, 202);
    const simulation = replay(bodies.map((body, i) => ({ at: `alerts[${i}]`, body })), normalizerFor('generic', new Date()), policy, undefined, { now: Date.now() }).policy;
    const live = await Promise.all(simulation.incidents.map((incident) => eventually(`${incident.id} settled`, async () => {
      const answer = await api.call('GET', `/v1/incidents/${encodeURIComponent(incident.id)}`);
      // Every request's alerts have reached it, so a status seen is not one from before the last of them.
      return SETTLED.has(answer.json?.status) && answer.json.alertsReceived === incident.alerts ? answer.json as IncidentState : undefined;
    })));
    return { simulation, live };
  }

  test('observe, approve and auto, an allowlisted address, a protected user and a threshold: the same decisions', async () => {
    const t = tag();
    const attacker = uniqueAddress();
    const allowlisted = `2001:db8:a5e:${t.slice(0, 4)}::7`;
    const bodies = [
      { id: `s1-${t}`, type: 'auth.failure', sourceIp: attacker, severity: 7 },
      { id: `s2-${t}`, type: 'auth.failure', sourceIp: allowlisted },
      { id: `s3-${t}`, type: 'account.compromise', user: `alice-${t}@corp.example`, sourceIp: uniqueAddress() },
      { id: `s4-${t}`, type: 'account.compromise', user: `svc-backup-${t}@corp.example` },
      { id: `s5-${t}`, type: 'process.lateral_movement', host: `ws-${t}.corp.example`, user: `bob-${t}@corp.example` },
      { id: `s6-${t}`, type: 'phishing.click', user: `carol-${t}@corp.example`, url: `https://login-${t}.evil.example/x` },
      { id: `s7-${t}`, type: 'phishing.click', user: `carol-${t}@corp.example`, url: `https://login-${t}.evil.example/y` },
      { id: `s8-${t}`, type: 'phishing.click', user: `dave-${t}@corp.example`, url: `https://login-${t}.evil.example/z` },
    ].map((body) => ({ source: 'generic', ...body }));
    const { simulation, live } = await liveAndSimulated(apiA, policyA, bodies);
    assert.deepEqual(simulation.incidents.map((i) => i.status), ['contained', 'allowlisted', 'awaiting_approval', 'protected', 'observed', 'awaiting_approval', 'below_threshold']);
    simulation.incidents.forEach((incident, i) => {
      const { simulated, live: actual } = sideBySide(incident, live[i]!);
      assert.deepEqual(simulated, actual, incident.id);
    });
    assert.deepEqual(simulation.incidents[2]!.approval?.approvals, 2, 'the two-person rule');

    // The same function behind the API: the running policy, the same bodies, the same decisions.
    const answer = await apiA.call('POST', '/v1/simulate', { alerts: bodies });
    assert.equal(answer.status, 200);
    const decisions = (incidents: SimulatedIncident[]) => incidents.map((i) => [i.id, i.status, i.actions.map((a) => [a.idempotencyKey, a.decision, a.description])]);
    assert.deepEqual(decisions(answer.json.policy.incidents), decisions(simulation.incidents));
    assert.equal(answer.json.policy.policyVersion, policyA.version);
  });

  test('approve mode inside an auto-approve window, and a mandatory approval in auto mode: the same decisions', async () => {
    const t = tag();
    const bodies = [
      { source: 'generic', id: `w1-${t}`, type: 'auth.failure', sourceIp: uniqueAddress() },
      { source: 'generic', id: `w2-${t}`, type: 'account.compromise', user: `erin-${t}@corp.example` },
    ];
    const { simulation, live } = await liveAndSimulated(apiB, policyB, bodies);
    assert.deepEqual(simulation.incidents.map((i) => [i.status, i.autoApprovedBy]), [['contained', 'Sun-Sat 00:00-24:00'], ['awaiting_approval', undefined]]);
    simulation.incidents.forEach((incident, i) => {
      const { simulated, live: actual } = sideBySide(incident, live[i]!);
      assert.deepEqual(simulated, actual, incident.id);
    });
  });

  test('POST /v1/simulate compares a policy given as YAML with the running one, and names refused bodies', async () => {
    const attacker = uniqueAddress();
    const alerts = [
      { source: 'generic', id: 'y1', type: 'auth.failure', sourceIp: attacker },
      { source: 'generic', id: 'y2', type: 'auth.failure', sourceIp: '010.0.0.1' },
      { source: 'generic', id: 'y3', type: 'process.lateral_movement', host: 'ws-9.corp.example' },
    ];
    const policy = 'playbooks:\n  brute-force: { mode: observe }\n  lateral-movement: { mode: auto }\n';
    const answer = await apiA.call('POST', '/v1/simulate', { alerts, policy, priorOffences: 1 });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.refused, [{ at: 'alerts[1]', issues: [{ path: 'sourceIp', message: 'invalid IP address "010.0.0.1": IPv4 must be four decimal octets without leading zeros' }] }]);
    assert.match(answer.json.policy.policyVersion, /^sha256:[0-9a-f]{16}$/);
    assert.equal(answer.json.against.policyVersion, policyA.version, 'against defaults to the running policy');
    const block = answer.json.diff.changes.find((c: any) => c.kind === 'block');
    assert.deepEqual([block.policy.decision, block.against.decision, block.onlyUnder], ['would_do', 'run', 'against']);
    const isolate = answer.json.diff.changes.find((c: any) => c.kind === 'isolate_host');
    assert.deepEqual([isolate.policy.decision, isolate.against.decision, isolate.onlyUnder], ['approve', 'would_do', 'policy']);
    assert.ok(answer.json.notSimulated.some((line: string) => line.includes('taken as 0 and 1')));
    // Nothing was started: simulated alerts never reach Temporal.
    assert.equal((await riposte.client.workflow.count(`WorkflowId = "brute-force:${attacker}"`)).count, 0);
  });

  test('POST /v1/simulate takes 10,000 bodies past the ingest body limit, and the API answers others meanwhile', async () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({ source: 'generic', id: `big-${i}`, type: 'auth.failure', sourceIp: `2001:db8:5e:${(i % 1000).toString(16)}::1` }));
    let simulated = false;
    // Marked when the answer's headers come, not once its large body has been read, which a probe could overtake.
    const simulation = fetch(`${apiA.url}/v1/simulate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` }, body: JSON.stringify({ alerts }) }).then((response) => {
      simulated = true;
      return response;
    });
    // A probe that comes back while the simulation is still under way was served between its slices.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const servedMeanwhile: boolean[] = [];
    while (!simulated) {
      await apiA.call('GET', '/healthz', undefined, {});
      servedMeanwhile.push(!simulated);
    }
    const answer = await simulation;
    assert.equal(answer.status, 200);
    const report = await answer.json() as { bodies: number; policy: { alerts: number; incidents: unknown[] } };
    assert.deepEqual([report.bodies, report.policy.alerts, report.policy.incidents.length], [10_000, 10_000, 1000]);
    assert.ok(servedMeanwhile.includes(true), 'a health check was answered while the simulation ran');
  });

  test('POST /v1/simulate refuses bad input with the field path, and is for admins only', async () => {
    const alerts = [{ source: 'generic', id: 'z1', type: 'auth.failure', sourceIp: uniqueAddress() }];
    const badMode = await apiA.call('POST', '/v1/simulate', { alerts, policy: { playbooks: { 'brute-force': { mode: 'sometimes' } } } });
    assert.equal(badMode.status, 400);
    assert.deepEqual(badMode.json.issues.map((i: any) => i.path), ['policy.playbooks.brute-force.mode']);
    const unknownPlaybook = await apiA.call('POST', '/v1/simulate', { alerts, against: 'playbooks:\n  brute_force: { mode: auto }\n' });
    assert.deepEqual([unknownPlaybook.status, unknownPlaybook.json.issues.map((i: any) => i.path)], [400, ['against.playbooks.brute_force']]);
    const badYaml = await apiA.call('POST', '/v1/simulate', { alerts, policy: 'playbooks: [' });
    assert.deepEqual([badYaml.status, badYaml.json.issues[0].path], [400, 'policy']);
    const badSource = await apiA.call('POST', '/v1/simulate', { alerts, source: 'syslog' });
    assert.deepEqual([badSource.status, badSource.json.issues[0].path], [400, 'source']);
    const noAlerts = await apiA.call('POST', '/v1/simulate', { alerts: [] });
    assert.deepEqual([noAlerts.status, noAlerts.json.issues[0].path], [400, 'alerts']);
    const tooMany = await apiA.call('POST', '/v1/simulate', { alerts: Array.from({ length: 10_001 }, () => ({})) });
    assert.deepEqual([tooMany.status, tooMany.json.issues[0].path], [400, 'alerts']);
    const extra = await apiA.call('POST', '/v1/simulate', { alerts, act: true });
    assert.equal(extra.status, 400);
    assert.doesNotMatch(extra.text, /\n\s+at /, 'no stack trace');
    const notAdmin = await apiA.call('POST', '/v1/simulate', { alerts }, responder.auth);
    assert.equal(notAdmin.status, 403);
  });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((ok) => {
    execFile(process.execPath, ['--import', 'tsx', join(projectDir, 'cli/riposte.ts'), ...args], { cwd: projectDir, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      ok({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A Wazuh alert as the integrator hands it over (Wazuh's alerts.json), from one source address. */
function wazuhAlert(rule: { id: string; level: number; description: string; groups: string[] }, srcip: string, timestamp: string) {
  return { timestamp, rule, agent: { id: '001', name: 'bastion-1' }, manager: { name: 'wazuh-manager' }, id: `${Date.parse(timestamp)}.${srcip.length}`, full_log: `Failed password for root from ${srcip} port 4242 ssh2`, data: { srcip, srcuser: 'root' } };
}

describe('the riposte simulate command', () => {
  let scratch: string;
  const file = (name: string) => join(scratch, name);
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'riposte-simulate-'));
    const sshd = { id: '5760', level: 5, description: 'sshd: authentication failed.', groups: ['syslog', 'sshd', 'authentication_failed'] };
    const custom = { id: '100100', level: 8, description: 'Payroll app: login failed', groups: ['payroll'] };
    const lines = [
      JSON.stringify(wazuhAlert(sshd, '198.51.100.60', '2026-01-03T03:00:00.000+0000')),
      JSON.stringify([wazuhAlert(custom, '198.51.100.61', '2026-01-03T03:01:00.000+0000'), wazuhAlert(custom, '198.51.100.61', '2026-01-03T03:02:00.000+0000')]),
      '',
      JSON.stringify({ ...wazuhAlert(sshd, '198.51.100.62', '2026-01-03T03:03:00.000+0000'), rule: { ...sshd, level: 'high' } }),
      '{"rule": ',
    ];
    await writeFile(file('past.jsonl'), `${lines.join('\n')}\n`);
    await writeFile(file('current.yaml'), 'playbooks:\n  brute-force: { mode: approve }\n');
    await writeFile(file('new.yaml'), 'sources:\n  wazuh:\n    types: { "group:payroll": auth.failure }\nplaybooks:\n  brute-force: { mode: auto, blockDuration: 1h }\n');
    await writeFile(file('invalid.yaml'), 'playbooks:\n  brute-force: { mode: sometimes }\n');
  });
  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('replays a Wazuh export through each policy\'s own mapping, prints the diff, and names the refused lines', async () => {
    const result = await cli(['simulate', '--alerts', file('past.jsonl'), '--source', 'wazuh', '--policy', file('new.yaml'), '--against', file('current.yaml')]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^Simulated 3 alerts from 4 lines: 2 incidents\./);
    assert.match(result.stdout, /^block +2 \(was 0\) +0 \(was 1\) +0 +0$/m);
    assert.match(result.stdout, /Only the new policy acts \(1\):\n {2}brute-force:198\.51\.100\.61 {2}block 198\.51\.100\.61 for 1h: at once; was not planned/);
    assert.match(result.stdout, /Decided differently \(1\):\n {2}brute-force:198\.51\.100\.60 {2}block 198\.51\.100\.60 for 1h \(was block 198\.51\.100\.60 for 24h\): at once; was awaits approval \(block is in approve mode\)/);
    assert.match(result.stdout, /Not simulated:\n {2}- GeoIP location and reputation/);
    assert.match(result.stderr, /^error: 2 of 4 lines refused/);
    assert.match(result.stderr, /line 4: rule\.level: /);
    assert.match(result.stderr, /line 5: \(line\): not valid JSON/);
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  });

  test('--json prints the whole simulation; without --against it lists every incident', async () => {
    const result = await cli(['simulate', '--alerts', file('past.jsonl'), '--source', 'wazuh', '--policy', file('new.yaml'), '--json', '--prior-offences', '1']);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.policy.incidents.map((i: any) => [i.id, i.status, i.actions[0].description]), [
      ['brute-force:198.51.100.60', 'contained', 'block 198.51.100.60 for 1h'],
      ['brute-force:198.51.100.61', 'contained', 'block 198.51.100.61 for 1h'],
    ]);
    assert.deepEqual(report.refused.map((r: any) => r.at), ['line 4', 'line 5']);
    assert.equal(report.policy.incidents[1].decidedAt, '2026-01-03T03:02:00.000Z');
    assert.equal(report.diff, undefined);
    const human = await cli(['simulate', '--alerts', file('past.jsonl'), '--source', 'wazuh', '--policy', file('current.yaml')]);
    assert.match(human.stdout, /Incidents:\n {2}brute-force:198\.51\.100\.60 \(1 alert, severity 4\): awaiting_approval\n {4}block 198\.51\.100\.60 for 24h: awaits approval \(block is in approve mode\)/);
    assert.match(human.stdout, /2 alerts matched no playbook: wazuh\.payroll-app-login-failed ×2/);
  });

  test('an invalid policy names the field and exits 1; a usage mistake exits 2 with the help', async () => {
    const invalid = await cli(['simulate', '--alerts', file('past.jsonl'), '--policy', file('invalid.yaml')]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /is invalid:\n {2}playbooks\.brute-force\.mode: /);
    const source = await cli(['simulate', '--alerts', file('past.jsonl'), '--policy', file('new.yaml'), '--source', 'syslog']);
    assert.equal(source.code, 2);
    assert.match(source.stderr, /unknown --source "syslog"; supported: generic, /);
    assert.match(source.stderr, /Usage: riposte simulate --alerts FILE/);
    const missing = await cli(['simulate', '--alerts', file('nowhere.jsonl'), '--policy', file('new.yaml')]);
    assert.deepEqual([missing.code, missing.stderr.trim()], [1, `error: cannot read ${file('nowhere.jsonl')}: ENOENT`]);
  });
});
