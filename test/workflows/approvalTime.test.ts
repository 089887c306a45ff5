import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { openDbipGeoIp } from '../../activities/enrich/geoip.ts';
import { createPagerDutyNotifier } from '../../activities/notify/pagerdutyNotifier.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, type AlertSummary, EMPTY_BATCH } from '../../domain/alert.ts';
import { activeWindow } from '../../domain/autoApproveWindow.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { createRiposteWorkers } from '../../workers/riposteWorkers.ts';
import { statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually, startTimeSkipping, suiteServer, testPolicy, uniqueAddress } from '../support/temporal.ts';
import { guardOf } from '../../domain/actions/guard.ts';

// An hour's approval timeout and a weekend window are only provable with time skipping.
const TASK_QUEUE = 'approval-time';
const ROUTING_KEY = 'R0UTINGKEY0123456789abcdefghijkl';
let env: TestWorkflowEnvironment;
let workers: Worker[];
let running: Promise<void>[];
let dir: string;
let pagerduty: HttpReceiver;
let webhook: HttpReceiver;

before(async () => {
  env = await startTimeSkipping();
  dir = await mkdtemp(join(tmpdir(), 'riposte-approval-'));
  pagerduty = await startReceiver(() => ({ status: 202, body: '{"status":"success"}' }));
  webhook = await startReceiver();
  workers = await createRiposteWorkers({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    enforcementTaskQueue: `${TASK_QUEUE}-enforcement`,
    enforcementPoints: [createEdlEnforcer(new EdlFile(join(dir, 'edl.json')))],
    maxEnforcementActionsPerSecond: 100,
    guard: guardOf(testPolicy()),
    notifiers: [createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: `${pagerduty.url}/v2/enqueue` }), createWebhookNotifier({ url: `${webhook.url}/hook` })],
    geoip: await openDbipGeoIp(),
    workflowBundle: { codePath: suiteServer().bundlePath },
  });
  running = workers.map((w) => w.run());
});

after(async () => {
  for (const worker of workers ?? []) worker.shutdown();
  await Promise.all(running ?? []);
  await env?.teardown();
  await pagerduty?.close();
  await webhook?.close();
  await rm(dir, { recursive: true, force: true });
});

async function raise(policy: PolicySnapshot, address = uniqueAddress()) {
  const id = `brute-force:${address}`;
  const alert: AlertSummary = { id: `evt-${address}`, source: 'generic', type: 'auth.failure', severity: 9, count: 12, receivedAt: new Date(await env.currentTimeMs()).toISOString() };
  await signalIncident(env.client, TASK_QUEUE, id, { playbook: 'brute-force', entity: address, policy, links: { consoleBase: 'http://riposte.test' } }, addToBatch(EMPTY_BATCH, [alert]));
  return env.client.workflow.getHandle(id);
}

type Handle = Awaited<ReturnType<typeof raise>>;

async function reaching(handle: Handle, wanted: IncidentState['status']): Promise<IncidentState> {
  // Queries do not move the test server's clock, so polling here waits in real time only for the worker.
  return eventually(`${handle.workflowId} ${wanted}`, async () => {
    const state = await handle.query(statusQuery);
    return state.status === wanted ? state : undefined;
  }, 30_000);
}

const pagesFor = (handle: Handle) => pagerduty.requests.map((r) => JSON.parse(r.body)).filter((event) => event.dedup_key === `riposte:${handle.workflowId}`);

describe('approval timeout', () => {
  test('escalate: after the timeout a PagerDuty trigger goes out, and after one more timeout the incident is denied', async () => {
    const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', onApprovalTimeout: 'escalate', escalateTo: ['pagerduty'], notify: ['webhook'], reviewWindow: '1h' } } });
    const handle = await raise(policy);
    await reaching(handle, 'awaiting_approval');
    assert.deepEqual(pagesFor(handle), [], 'nobody is paged before the timeout');

    await env.sleep('61m');
    const escalated = await reaching(handle, 'awaiting_approval');
    assert.deepEqual(escalated.escalated?.routes, ['pagerduty']);
    const [page] = await eventually('the page', () => (pagesFor(handle).length > 0 ? pagesFor(handle) : undefined));
    assert.equal(page.routing_key, ROUTING_KEY);
    assert.equal(page.event_action, 'trigger');
    assert.equal(page.payload.severity, 'critical');
    assert.match(page.payload.summary, /ESCALATED: nobody approved or rejected block .* within 1h/);
    assert.equal(page.links[0].href, `http://riposte.test/console/#/incidents/${encodeURIComponent(handle.workflowId)}`);

    await env.sleep('61m');
    const denied = await reaching(handle, 'expired');
    assert.deepEqual(denied.actions.filter((a) => a.kind === 'block').map((a) => a.outcome), ['denied'], 'a denied incident blocks nothing');
    const timeline = await handle.query(timelineQuery);
    assert.match(timeline.find((e) => e.event === 'status:expired')?.detail ?? '', /timed out after escalation: denied/);
    assert.equal(pagesFor(handle).length, 1);
  });

  test('deny (the default): after the timeout the incident is denied and nobody is paged', async () => {
    const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', notify: ['webhook'], reviewWindow: '1h' } } });
    const handle = await raise(policy);
    await reaching(handle, 'awaiting_approval');
    await env.sleep('61m');
    const denied = await reaching(handle, 'expired');
    assert.equal(denied.escalated, undefined);
    assert.deepEqual(pagesFor(handle), []);
  });
});

describe('auto-approve window', () => {
  const windowText = 'Sat-Sun 01:00-05:00';
  const timeZone = 'Europe/Paris';
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', autoApproveWindows: [windowText], timeZone, notify: [], reviewWindow: '1h' } } });
  const windows = policy.playbooks['brute-force']!.autoApproveWindows;

  /** How long until `inside` holds, stepping a quarter of an hour at a time over at most two weeks. */
  function untilInside(from: number, inside: boolean): number {
    for (let step = 0; step < 14 * 96; step++) {
      const at = from + step * 15 * 60_000;
      if (Boolean(activeWindow(windows, timeZone, at)) === inside) return step * 15 * 60_000;
    }
    throw new Error('no such time within two weeks');
  }

  test('outside the window approve mode waits; inside it acts at once and records "auto-approved by window"', async () => {
    const outside = untilInside(await env.currentTimeMs(), false);
    if (outside > 0) await env.sleep(outside + 60_000);
    const waiting = await raise(policy);
    await reaching(waiting, 'awaiting_approval');

    await env.sleep(untilInside(await env.currentTimeMs(), true) + 30 * 60_000);
    assert.ok(activeWindow(windows, timeZone, await env.currentTimeMs()), 'the clock is inside the window');
    const handle = await raise(policy);
    const contained = await reaching(handle, 'contained');
    assert.equal(contained.approval?.by, 'automation');
    assert.equal(contained.approval?.comment, `auto-approved by window ${windowText} (${timeZone})`);
    assert.ok((await handle.query(timelineQuery)).some((e) => e.event === 'auto_approved'));
  });

  test('inside the window a range wider than the maximum still waits for a person', async () => {
    const wide = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', autoApproveWindows: [windowText], timeZone, blockPrefix: { ipv4: 16, ipv6: 32 }, notify: [], reviewWindow: '1h' } } });
    const until = untilInside(await env.currentTimeMs(), true);
    if (until > 0) await env.sleep(until + 30 * 60_000);
    const state = await reaching(await raise(wide, '203.0.113.99'), 'awaiting_approval');
    assert.match(state.approvalReasons?.join() ?? '', /203\.0\.0\.0\/16 is wider than \/24/);
    assert.equal(state.approval, undefined);
  });
});
