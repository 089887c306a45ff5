/**
 * `npm run record-histories`: runs each workflow type and each playbook once on a fresh in-memory dev server with the
 * real workers, and writes their histories to test/fixtures/histories/, which test/workflows/replay.test.ts replays
 * against the current workflow code. Re-record after a deliberate, patched change; never to make a failing replay pass.
 *
 * The runs use second-long windows and blocks so each history is short and, where the workflow can end, ends cleanly.
 * The control workflow, offence histories and login histories live for months by design: theirs are recorded once
 * the interesting part has happened and the workflow is waiting again. No responders are configured, so the actions
 * that reach ticket systems, directories and EDRs record `skipped`.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { blockShards, type BlockShards } from '../activities/blocks.ts';
import { updateControlWorkflow } from '../activities/control.ts';
import { createEdlEnforcer } from '../activities/enforce/edlEnforcer.ts';
import { EdlFile } from '../activities/enforce/edlFile.ts';
import { openDbipGeoIp } from '../activities/enrich/geoip.ts';
import { signalIncident } from '../api/incidentStarter.ts';
import { guardOf } from '../domain/actions/guard.ts';
import { addToBatch, type AlertSummary, EMPTY_BATCH } from '../domain/alert.ts';
import { canonicalEntity } from '../domain/entity.ts';
import type { IncidentInput, IncidentState } from '../domain/incident.ts';
import { type PolicySnapshot, policySchema } from '../domain/policy.ts';
import { startDevServer } from '../runtime/devServer.ts';
import { parsePollers } from '../runtime/pollers.ts';
import { registerSearchAttributes } from '../runtime/searchAttributes.ts';
import { findTemporalBinary, NO_TEMPORAL_CLI_HELP } from '../runtime/temporalCli.ts';
import { createRiposteWorkers } from '../workers/riposteWorkers.ts';
import { setKillSwitchUpdate } from '../workflows/control.ts';
import { addExceptionUpdate, removeExceptionUpdate } from '../workflows/control/exceptions.ts';
import { blockShardOf, blockShardWorkflowId, controlWorkflowId, loginHistoryWorkflowId, offenceHistoryWorkflowId } from '../workflows/ids.ts';
import type { loginHistoryWorkflow } from '../workflows/logins.ts';
import { pollerStatusQuery } from '../workflows/poller/messages.ts';
import { pollerWorkflowId } from '../workflows/poller/ids.ts';
import type { ReconcileInput } from '../workflows/reconcile.ts';
import { approveSignal, type LoginSignal, loginsSignal, rejectSignal, statusQuery, verdictUpdate } from '../workflows/messages.ts';
import { freePort } from '../runtime/freePort.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../..');
const FIXTURES_DIR = join(projectDir, 'test/fixtures/histories');
// Fixed names, so every recording has the same workflow ids and policy version and a re-run diffs only in times and ids.
const TASK_QUEUE = 'riposte';
const POLICY_VERSION = 'record-histories';
const LINKS = { consoleBase: 'http://riposte.example', temporalUiBase: 'http://temporal-ui.example' };
/** What every playbook gets unless a case says otherwise: one notification route, windows of seconds. */
const SHORT = { notify: ['webhook'], reviewWindow: '3s', approvalTimeout: '1m' };

function policyFor(playbook: string, settings: Record<string, unknown>): PolicySnapshot {
  return { ...policySchema.parse({ enforcement: { points: ['edl'] }, playbooks: { [playbook]: { ...SHORT, ...settings } } }), version: POLICY_VERSION };
}

function log(line: string): void {
  process.stderr.write(`record-histories: ${line}\n`);
}


async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Recorder {
  client: Client;
  blocks: BlockShards;
  /** The recorded histories by file name; written only once every case has run. */
  histories: Map<string, string>;
}

async function record(recorder: Recorder, file: string, handle: WorkflowHandle): Promise<void> {
  recorder.histories.set(`${file}.json`, `${historyToJSON(await handle.fetchHistory())}\n`);
  log(`recorded ${file}`);
}

/**
 * Waits for a workflow to be idle (no task or activity pending): before recording one that runs on, so its history
 * ends between tasks, and before a signal, so it lands in a task of its own in every recording.
 */
async function settled(handle: WorkflowHandle): Promise<void> {
  await until(`${handle.workflowId} to settle`, async () => {
    const { raw } = await handle.describe();
    return !raw.pendingWorkflowTask && (raw.pendingActivities?.length ?? 0) === 0 ? true : undefined;
  });
}

function alert(id: string, fields: Omit<AlertSummary, 'id' | 'source' | 'count' | 'receivedAt'>): AlertSummary {
  return { id, source: 'generic', count: 1, receivedAt: new Date().toISOString(), ...fields };
}

/** Raises an incident the way the alerts route does: signal-with-start of `<playbook>:<entity>` with one batch. */
async function raise(recorder: Recorder, policy: PolicySnapshot, playbook: string, entity: string, alerts: AlertSummary[], byHand: Pick<IncidentInput, 'requestedBy' | 'request'> = {}) {
  const id = `${playbook}:${entity}`;
  const input: IncidentInput = { playbook, entity, policy, links: LINKS, ...byHand };
  await signalIncident(recorder.client, TASK_QUEUE, id, input, addToBatch(EMPTY_BATCH, alerts));
  return recorder.client.workflow.getHandle(id);
}

async function statusIs(handle: WorkflowHandle, wanted: IncidentState['status']): Promise<void> {
  await until(`${handle.workflowId} to be ${wanted}`, async () => ((await handle.query(statusQuery)).status === wanted ? true : undefined));
}

/** Approve mode: a person approves, the 2 s block expires inside the review window and becomes an offence. */
async function bruteForceApproved(recorder: Recorder): Promise<void> {
  const address = '203.0.113.10';
  const policy = policyFor('brute-force', { mode: 'approve', blockDuration: '2s', reviewWindow: '5s' });
  const incident = await raise(recorder, policy, 'brute-force', address, [alert('fixture-brute-force-approved', { type: 'auth.failure', severity: 6, sourceIp: address })]);
  await statusIs(incident, 'awaiting_approval');
  await settled(incident);
  await incident.signal(approveSignal, { by: 'alice', comment: 'seen in the VPN logs' });
  await incident.result();
  await until('the block removed', async () => ((await recorder.blocks.read(address)) === null ? true : undefined));
  const offences = recorder.client.workflow.getHandle(offenceHistoryWorkflowId(address));
  await until('the offence recorded', () => offences.describe().then(() => true, () => undefined));
  await settled(offences);
  const shard = recorder.client.workflow.getHandle(blockShardWorkflowId(TASK_QUEUE, blockShardOf(address)));
  await settled(shard);
  await record(recorder, 'incidentWorkflow-brute-force-approved', incident);
  await record(recorder, 'blockShardWorkflow-expired', shard);
  await record(recorder, 'offenceHistoryWorkflow-one-offence', offences);
}

/** Auto mode: the block is applied at once, then a false-positive verdict reverts it, which withdraws the lease. */
async function bruteForceFalsePositive(recorder: Recorder): Promise<void> {
  const address = '203.0.113.20';
  const policy = policyFor('brute-force', { mode: 'auto', blockDuration: '1h', reviewWindow: '5s' });
  const incident = await raise(recorder, policy, 'brute-force', address, [alert('fixture-brute-force-false-positive', { type: 'auth.failure', severity: 6, sourceIp: address })]);
  await statusIs(incident, 'contained');
  // Contained means the block was requested; the verdict waits until it is applied, so every recording takes one path.
  await until('the block applied', async () => ((await recorder.blocks.read(address))?.state === 'active' ? true : undefined));
  await settled(incident);
  await incident.executeUpdate(verdictUpdate, { args: [{ verdict: 'false_positive', by: 'alice', comment: 'our scanner' }] });
  await incident.result();
  await until('the block removed', async () => ((await recorder.blocks.read(address)) === null ? true : undefined));
  const shard = recorder.client.workflow.getHandle(blockShardWorkflowId(TASK_QUEUE, blockShardOf(address)));
  await settled(shard);
  await record(recorder, 'incidentWorkflow-brute-force-false-positive', incident);
  await record(recorder, 'blockShardWorkflow-withdrawn', shard);
}

/** The kill switch is on when an automatic block comes due: the incident waits, paused, until an admin resumes. */
async function bruteForceKillSwitch(recorder: Recorder): Promise<void> {
  const address = '203.0.113.30';
  const policy = policyFor('brute-force', { mode: 'auto', blockDuration: '2s', reviewWindow: '5s' });
  await updateControlWorkflow(recorder.client, TASK_QUEUE, setKillSwitchUpdate, { paused: true, by: 'admin', reason: 'change freeze' });
  const incident = await raise(recorder, policy, 'brute-force', address, [alert('fixture-brute-force-kill-switch', { type: 'auth.failure', severity: 6, sourceIp: address })]);
  await statusIs(incident, 'paused');
  await updateControlWorkflow(recorder.client, TASK_QUEUE, setKillSwitchUpdate, { paused: false, by: 'admin' });
  await incident.result();
  await record(recorder, 'incidentWorkflow-brute-force-kill-switch', incident);
}

/**
 * A sign-in in London, then one in Seattle ten minutes later: the login history raises the impossible-travel incident.
 * The addresses are only looked up in the offline GeoIP database.
 */
async function impossibleTravel(recorder: Recorder): Promise<void> {
  const user = canonicalEntity('user', 'traveller@example.com');
  const policy = policyFor('impossible-travel', {});
  const incident: IncidentInput = { playbook: 'impossible-travel', entity: user, policy, links: LINKS };
  const london = Date.now() - 20 * 60_000;
  const logins = recorder.client.workflow.getHandle(loginHistoryWorkflowId(user));
  const signIn = async (alertId: string, address: string, at: number) => {
    const signal: LoginSignal = { logins: [{ address, occurredAt: new Date(at).toISOString(), alertId, source: 'generic', severity: 5 }], incident };
    await recorder.client.workflow.signalWithStart<typeof loginHistoryWorkflow, [LoginSignal]>('loginHistoryWorkflow', {
      workflowId: logins.workflowId, taskQueue: TASK_QUEUE, args: [{ user }], signal: loginsSignal, signalArgs: [signal],
    });
  };
  await signIn('fixture-login-london', '81.2.69.142', london);
  await settled(logins);
  await signIn('fixture-login-seattle', '54.240.196.1', london + 10 * 60_000);
  const raised = recorder.client.workflow.getHandle(`impossible-travel:${user}`);
  await until('the impossible-travel incident', () => raised.describe().then(() => true, () => undefined));
  await raised.result();
  await settled(logins);
  await record(recorder, 'loginHistoryWorkflow-impossible-travel', logins);
  await record(recorder, 'incidentWorkflow-impossible-travel', raised);
}

/** A click on a phishing link: a ticket and the domain on the feed, at once in auto mode. */
async function phishing(recorder: Recorder): Promise<void> {
  const user = canonicalEntity('user', 'clicker@example.com');
  const policy = policyFor('phishing', { mode: 'auto', domainBlockDuration: '1h' });
  const incident = await raise(recorder, policy, 'phishing', user, [
    alert('fixture-phishing', { type: 'phishing.click', severity: 7, user, url: 'https://login.phish.example/reset', sourceIp: '192.0.2.44' }),
  ]);
  await incident.result();
  await record(recorder, 'incidentWorkflow-phishing', incident);
}

/** Tagging and isolating a host wait for a person; one approval releases both. */
async function lateralMovement(recorder: Recorder): Promise<void> {
  const host = canonicalEntity('host', 'ws-0042.corp.example');
  const policy = policyFor('lateral-movement', { mode: 'approve' });
  const incident = await raise(recorder, policy, 'lateral-movement', host, [
    alert('fixture-lateral-movement', { type: 'process.lateral_movement', severity: 8, host, user: 'svc-backup' }),
  ]);
  await statusIs(incident, 'awaiting_approval');
  await settled(incident);
  await incident.signal(approveSignal, { by: 'alice' });
  await incident.result();
  await record(recorder, 'incidentWorkflow-lateral-movement', incident);
}

/** Disabling an account waits for a person, who rejects it; the ticket is opened anyway. */
async function accountCompromise(recorder: Recorder): Promise<void> {
  const user = canonicalEntity('user', 'victim@example.com');
  const policy = policyFor('account-compromise', { mode: 'approve' });
  const incident = await raise(recorder, policy, 'account-compromise', user, [
    alert('fixture-account-compromise', { type: 'account.compromise', severity: 9, user, sourceIp: '198.51.100.7' }),
  ]);
  await statusIs(incident, 'awaiting_approval');
  await settled(incident);
  await incident.signal(rejectSignal, { by: 'bob', reason: 'the user confirmed the sign-ins' });
  await incident.result();
  await record(recorder, 'incidentWorkflow-account-compromise', incident);
}

/**
 * A person asks to block a range wider than maxBlockWidth: the incident waits for someone else, ignores the
 * requester's own approval (the two-person rule), blocks once another person approves, and the block expires.
 */
async function manualBlock(recorder: Recorder): Promise<void> {
  const range = '198.51.100.0/22';
  const policy = policyFor('manual-block', { mode: 'approve', reviewWindow: '5s' });
  const incident = await raise(recorder, policy, 'manual-block', range, [alert('fixture-manual-block', { type: 'manual.block', severity: 5 })], {
    requestedBy: 'carol', request: { durationMs: 2_000, reason: 'scanner farm' },
  });
  await statusIs(incident, 'awaiting_approval');
  await settled(incident);
  await incident.signal(approveSignal, { by: 'carol' });
  await settled(incident);
  await incident.signal(approveSignal, { by: 'alice' });
  await incident.result();
  await record(recorder, 'incidentWorkflow-manual-block', incident);
}

/**
 * Exceptions in the control workflow: one covering a live block lifts it and expires by itself on the timer; another is
 * removed by a person before its time.
 */
async function exceptions(recorder: Recorder): Promise<void> {
  const address = '203.0.113.95';
  await recorder.blocks.request([{ address, points: ['edl'], durationMs: 3_600_000, reason: 'threat list', requestedBy: 'rita' }]);
  await until('the block applied', async () => ((await recorder.blocks.read(address))?.state === 'active' ? true : undefined));
  const expiring = await updateControlWorkflow(recorder.client, TASK_QUEUE, addExceptionUpdate, {
    kind: 'address', value: address, reason: 'partner pentest', by: 'rita', expiresAt: new Date(Date.now() + 2_000).toISOString(),
  });
  const removed = await updateControlWorkflow(recorder.client, TASK_QUEUE, addExceptionUpdate, {
    kind: 'user', value: 'svc-scan@example.com', reason: 'migration', by: 'rita', expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await updateControlWorkflow(recorder.client, TASK_QUEUE, removeExceptionUpdate, { id: removed.exception.id, by: 'alice' });
  await until('the block lifted', async () => ((await recorder.blocks.read(address)) === null ? true : undefined));
  // Past its expiry, its timer has fired; the caller's settled() then waits out the expiry's audit activity.
  await until('the exception expired', async () => (Date.parse(expiring.exception.expiresAt) + 2_000 < Date.now() ? true : undefined));
}

/** A block the feed lost behind Riposte's back: one reconcile cycle puts it back. */
async function reconcile(recorder: Recorder, edl: EdlFile): Promise<void> {
  const address = '203.0.113.90';
  await recorder.blocks.request([{ address, points: ['edl'], durationMs: 3_600_000, reason: 'threat list', requestedBy: 'rita' }]);
  await until('the block applied', async () => ((await recorder.blocks.read(address))?.state === 'active' ? true : undefined));
  await edl.remove(address);
  const cycle = await recorder.client.workflow.start('reconcileWorkflow', {
    workflowId: 'riposte-reconcile:fixture', taskQueue: TASK_QUEUE, args: [{ points: ['edl'], enforcementTaskQueue: `${TASK_QUEUE}-enforcement`, notify: ['webhook'] } satisfies ReconcileInput],
  });
  await cycle.result();
  await record(recorder, 'reconcileWorkflow-restored', cycle);
}

/**
 * Replaces the fixtures with this recording: a case renamed or dropped must not leave its old file behind. Histories
 * named `legacy-*` were recorded by earlier versions and stay, so workflows still open from those versions keep
 * replaying; nothing records them again.
 */
async function writeFixtures(histories: Map<string, string>): Promise<void> {
  await mkdir(FIXTURES_DIR, { recursive: true });
  for (const name of await readdir(FIXTURES_DIR)) {
    if (name.endsWith('.json') && !name.startsWith('legacy-') && !histories.has(name)) await rm(join(FIXTURES_DIR, name));
  }
  for (const [name, json] of [...histories].sort()) await writeFile(join(FIXTURES_DIR, name), json);
}

/** A JSON API the fixture poller reads: two failed logins from one address, at or after `?since`. */
async function startAlertFeed(): Promise<{ url: string; close(): Promise<void> }> {
  const alerts = [1, 2].map((n) => ({ id: `fixture-poll-${n}`, source: 'generic', type: 'auth.failure', sourceIp: '203.0.113.91', count: 5, occurredAt: `2024-05-01T12:00:0${n}.000Z` }));
  const server = createServer((req, res) => {
    const since = new URL(req.url ?? '/', 'http://feed').searchParams.get('since');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { alerts: alerts.filter((alert) => !since || alert.occurredAt >= since) } }));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, close: () => new Promise((closed) => server.close(() => closed())) };
}

/** A schedule's tick, and the poller's state workflow after its first run. */
async function poller(recorder: Recorder): Promise<void> {
  const tick = await recorder.client.workflow.start('pollTickWorkflow', { workflowId: 'riposte-poll:fixture', taskQueue: TASK_QUEUE, args: [{ poller: 'fixture', remember: 100, maxPages: 10 }] });
  await tick.result();
  await record(recorder, 'pollTickWorkflow', tick);
  const state = recorder.client.workflow.getHandle(pollerWorkflowId(TASK_QUEUE, 'fixture'));
  await until('the poll run over', async () => {
    const status = await state.query(pollerStatusQuery);
    return status.runs >= 1 && !status.polling ? true : undefined;
  });
  await record(recorder, 'pollerWorkflow-first-run', state);
}

async function main(): Promise<void> {
  const cli = findTemporalBinary('temporal', { explicitPath: process.env.TEMPORAL_CLI_PATH, envPath: process.env.PATH, projectDir });
  if (!cli) throw new Error(NO_TEMPORAL_CLI_HELP);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const scratch = await mkdtemp(join(tmpdir(), 'riposte-record-'));
  const server = await startDevServer({ cliPath: cli.path, port: await freePort(), namespace: 'default' });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    await registerSearchAttributes(client, 'default');
    const guardPolicy = policyFor('brute-force', {});
    const edl = new EdlFile(join(scratch, 'edl.json'));
    const feed = await startAlertFeed();
    const pollers = parsePollers(`pollers:\n  - { name: fixture, kind: http, every: 1h, url: '${feed.url}', items: '$.data.alerts[*]', cursor: { field: occurredAt, param: since } }\n`, 'record-histories', {});
    const workers = await createRiposteWorkers({
      connection: nativeConnection,
      client,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      enforcementTaskQueue: `${TASK_QUEUE}-enforcement`,
      enforcementPoints: [createEdlEnforcer(edl)],
      maxEnforcementActionsPerSecond: guardPolicy.enforcement.maxActionsPerSecond,
      guard: guardOf(guardPolicy),
      notifiers: [],
      geoip: await openDbipGeoIp(),
      polling: { pollers, policy: guardPolicy, links: LINKS },
    });
    const running = workers.map((worker) => worker.run());
    const recorder: Recorder = { client, blocks: blockShards({ client, taskQueue: TASK_QUEUE, enforcementTaskQueue: `${TASK_QUEUE}-enforcement` }), histories: new Map() };
    try {
      // One after another: the control workflow's history then holds the kill switch and the admissions in one order.
      await bruteForceKillSwitch(recorder);
      await bruteForceApproved(recorder);
      await bruteForceFalsePositive(recorder);
      await impossibleTravel(recorder);
      await phishing(recorder);
      await lateralMovement(recorder);
      await accountCompromise(recorder);
      await manualBlock(recorder);
      await reconcile(recorder, edl);
      await exceptions(recorder);
      const control = client.workflow.getHandle(controlWorkflowId(TASK_QUEUE));
      await settled(control);
      await record(recorder, 'controlWorkflow-kill-switch', control);
      // After the control workflow's recording: the polled alerts' incident would add to its history.
      await poller(recorder);
    } finally {
      for (const worker of workers) worker.shutdown();
      await Promise.all(running);
      await feed.close();
    }
    await writeFixtures(recorder.histories);
    log(`wrote ${recorder.histories.size} histories to ${FIXTURES_DIR}`);
  } finally {
    await nativeConnection.close();
    await connection.close();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`record-histories: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
