/**
 * Pollers against local servers that page as the real APIs do (test/support/pollTargets.ts), with the real workers,
 * schedules and incidents: alerts become incidents, once each, whatever restarts and overlaps happen between a page
 * being sent and the cursor moving past it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AuditRecord, AuditSink } from '../../activities/audit/index.ts';
import { openDbipGeoIp } from '../../activities/enrich/geoip.ts';
import type { ConfiguredPoller } from '../../activities/poll/poller.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { removeStalePollerSchedules, startPollerSchedules } from '../../runtime/pollerSchedules.ts';
import { parsePollers } from '../../runtime/pollers.ts';
import { createRiposteWorkers } from '../../workers/riposteWorkers.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { pollerScheduleId, pollerWorkflowId } from '../../workflows/poller/ids.ts';
import { type PollerStatus, pollerStatusQuery, type PollRequest } from '../../workflows/poller/messages.ts';
import { startFakeAlertApi, startFakeElastic } from '../support/pollTargets.ts';
import { eventually, quietRuntime, suiteServer, testPolicy, uniqueAddress } from '../support/temporal.ts';

const ES_KEY = `es-${randomBytes(12).toString('hex')}`;
const SOC_KEY = `soc-${randomBytes(12).toString('hex')}`;
const INDEX = '.alerts-security.alerts-default';
// Observe mode: the incidents decide and record, and the test needs no enforcement point.
const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'observe' } } });

/**
 * The audit trail in memory. `failNextSubmit` makes the next page's after-record fail, as a full disk would, once
 * the test lets it: the page has been sent by then, and the poller has not moved its cursor.
 */
function memoryAudit() {
  const records: AuditRecord[] = [];
  let failing: { reached: () => void; release: Promise<void> } | undefined;
  const sink: AuditSink = {
    async append(batch) {
      if (failing && batch.some((r) => r.action === 'poll.submit' && r.phase === 'after')) {
        const { reached, release } = failing;
        failing = undefined;
        reached();
        await release;
        throw new Error('ENOSPC: no space left on device');
      }
      records.push(...batch);
    },
    close: async () => undefined,
  };
  function failNextSubmit() {
    let reached!: () => void;
    let release!: () => void;
    const submitted = new Promise<void>((ok) => { reached = ok; });
    failing = { reached, release: new Promise<void>((ok) => { release = ok; }) };
    return { submitted, fail: release };
  }
  return { sink, records, failNextSubmit };
}

/** An Elastic Security alert document for an SSH brute force from `ip`, as the detection engine writes it. */
function securityAlert(uuid: string, ip: string, at: string, status = 'open'): Record<string, unknown> & { '@timestamp': string } {
  return {
    '@timestamp': at,
    'kibana.alert.uuid': uuid,
    'kibana.alert.status': 'active',
    'kibana.alert.workflow_status': status,
    'kibana.alert.rule.name': 'Potential External Linux SSH Brute Force Detected',
    'kibana.alert.rule.rule_id': 'fa210b61-b627-4e5e-86f4-17e8270656ab',
    'kibana.alert.rule.uuid': '6c0b5f4e-5a3a-11ef-8f2e-0242ac120002',
    'kibana.alert.severity': 'medium',
    'kibana.alert.risk_score': 47,
    'kibana.alert.reason': `authentication event with source ${ip} by root on web-1 created medium alert`,
    'kibana.alert.original_time': at,
    'event.kind': 'signal',
    source: { ip },
    user: { name: 'root' },
    host: { name: 'web-1' },
  };
}

/** An alert in Riposte's own shape, as the generic poller's API lists it. */
const genericAlert = (id: string, ip: string, at: string) => ({ id, source: 'generic', type: 'auth.failure', severity: 6, sourceIp: ip, occurredAt: at });
const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 0, 5, 10, minute, second)).toISOString();

describe('pollers', () => {
  const taskQueue = `test-poll-${randomBytes(6).toString('hex')}`;
  let connection: Connection;
  let client: Client;
  let elastic: Awaited<ReturnType<typeof startFakeElastic>>;
  const apis: Record<string, Awaited<ReturnType<typeof startFakeAlertApi>>> = {};
  let pollers: ConfiguredPoller[];
  /** The deployment's workers, and their audit trail, for every test but the one that restarts its own. */
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  const audit = memoryAudit();
  const named = (name: string) => pollers.find((p) => p.name === name)!;

  /** The real workers of a deployment with these pollers; `stop` stops their polling at once, then waits for them. */
  async function startWorkers(audit: AuditSink, queue = taskQueue) {
    const nativeConnection = await NativeConnection.connect({ address: suiteServer().address });
    const workers = await createRiposteWorkers({
      connection: nativeConnection, client, namespace: 'default', taskQueue: queue, enforcementTaskQueue: `${queue}-enforcement`,
      enforcementPoints: [], maxEnforcementActionsPerSecond: 100, guard: guardOf(policy), notifiers: [], geoip: await openDbipGeoIp(),
      workflowBundle: { codePath: suiteServer().bundlePath }, audit,
      polling: { pollers, policy, links: { consoleBase: 'http://riposte.test' } },
    });
    const running = workers.map((worker) => worker.run());
    return {
      async stop() {
        for (const worker of workers) worker.shutdown();
        await Promise.all(running);
        await nativeConnection.close();
      },
    };
  }

  const status = (poller: string, queue = taskQueue) => client.workflow.getHandle(pollerWorkflowId(queue, poller)).query(pollerStatusQuery);
  /** The poller once `runs` runs are over and no tick waits. */
  const settled = (poller: string, runs: number, queue = taskQueue) => eventually(`${poller}: ${runs} runs over`, async () => {
    const s = await status(poller, queue);
    return s.runs >= runs && !s.polling && !s.pending ? s : undefined;
  }, 30_000);
  const incident = (ip: string) => client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery);
  const received = async (ips: readonly string[]) => Promise.all(ips.map(async (ip) => (await incident(ip)).alertsReceived));
  /** What a schedule's tick does, started by hand under an id of the test's choosing. */
  const tick = (poller: string, id: string, queue = taskQueue) => client.workflow.execute('pollTickWorkflow', {
    workflowId: id, taskQueue: queue, args: [{ poller, remember: named(poller).remember, maxPages: named(poller).maxPages } satisfies PollRequest],
  });

  before(async () => {
    quietRuntime();
    connection = await Connection.connect({ address: suiteServer().address });
    client = new Client({ connection, namespace: 'default' });
    elastic = await startFakeElastic({ apiKey: ES_KEY, index: INDEX });
    for (const name of ['restart', 'overlap', 'bounded']) apis[name] = await startFakeAlertApi({ apiKey: SOC_KEY, limit: 2, delayMs: name === 'overlap' ? 150 : 0 });
    const http = (name: string, remember: number) => `
  - name: ${name}
    kind: http
    every: 1h
    url: ${apis[name]!.url}/api/alerts
    items: $.data.alerts[*]
    cursor: { field: occurredAt, param: since }
    auth: { header: X-Api-Key, valueFrom: SOC_KEY }
    remember: ${remember}`;
    pollers = parsePollers(`
pollers:
  - name: elastic
    kind: elastic
    every: 1h
    url: ${elastic.url}
    index: ${INDEX}
    query: { term: { kibana.alert.workflow_status: open } }
    startFrom: '${at(0)}'
    pageSize: 3
    auth: { header: Authorization, prefix: 'ApiKey ', valueFrom: ES_KEY }
${http('restart', 100)}
${http('overlap', 100)}
${http('bounded', 3)}
`, 'pollers.test.ts', { ES_KEY, SOC_KEY });
    workers = await startWorkers(audit.sink);
  });

  after(async () => {
    await workers?.stop();
    await elastic?.close();
    for (const api of Object.values(apis)) await api.close();
    await connection?.close();
  });

  test('Elastic: a point in time read page by page with search_after; each alert becomes part of its incident once', async () => {
    const [a, b, c] = [uniqueAddress(), uniqueAddress(), uniqueAddress()];
    elastic.documents.push(
      { _id: 'old', _source: securityAlert('u-old', a, '2025-12-31T23:00:00.000Z') },
      ...[[a, 1], [b, 2], [a, 3], [c, 4], [b, 5], [a, 6], [c, 7]].map(([ip, minute], i) => ({ _id: `d${i}`, _source: securityAlert(`u-${i}`, ip as string, at(minute as number)) })),
      { _id: 'closed', _source: securityAlert('u-closed', c, at(8), 'closed') },
    );
    await startPollerSchedules(client, { taskQueue, pollers: [named('elastic')] });
    const first = await settled('elastic', 1);
    assert.deepEqual(await received([a, b, c]), [3, 2, 2], 'the 7 open alerts since startFrom, none twice');
    assert.equal(first.cursor, at(7));
    assert.deepEqual([first.last?.pages, first.last?.read, first.last?.sent, first.last?.duplicates, first.last?.error], [3, 7, 7, 0, undefined]);

    const calls = elastic.requests.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(calls, [`POST /${INDEX}/_pit`, 'POST /_search', 'POST /_search', 'POST /_search', 'DELETE /_pit']);
    const searches = elastic.requests.filter((r) => r.path === '/_search').map((r) => r.json);
    assert.deepEqual(searches.map((s) => s.search_after), [undefined, [at(3), 3], [at(6), 6]], 'each page after the last sort values of the one before');
    assert.deepEqual(searches.map((s) => s.pit.id), ['pit-1', 'pit-1~1', 'pit-1~2'], 'always the newest pit_id');
    assert.deepEqual(searches[0].query.bool.filter, [{ term: { 'kibana.alert.workflow_status': 'open' } }, { range: { '@timestamp': { gte: at(0) } } }]);
    assert.equal(elastic.requests.at(-1)!.json.id, 'pit-1~3', 'the point in time closed at the end of the run');
    assert.equal(elastic.openPits(), 0);

    const submits = () => audit.records.filter((r) => r.action === 'poll.submit' && r.target === 'elastic');
    assert.deepEqual(submits().map((r) => [r.phase, r.parameters.read, r.parameters.sent, r.parameters.nextCursor]), [
      ['before', 3, 3, at(3)], ['after', 3, 3, at(3)],
      ['before', 3, 3, at(6)], ['after', 3, 3, at(6)],
      ['before', 1, 1, at(7)], ['after', 1, 1, at(7)],
    ]);

    // Two more alerts, one at the very time of the cursor: the next run reads the cursor's own alert again and skips it.
    elastic.documents.push({ _id: 'd7', _source: securityAlert('u-7', a, at(7)) }, { _id: 'd8', _source: securityAlert('u-8', b, at(9)) });
    await client.schedule.getHandle(pollerScheduleId(taskQueue, 'elastic')).trigger();
    const second = await settled('elastic', 2);
    assert.deepEqual([second.last?.read, second.last?.sent, second.last?.duplicates, second.cursor], [3, 2, 1, at(9)]);
    assert.deepEqual(await received([a, b, c]), [4, 3, 2]);
    assert.deepEqual(submits().slice(6).map((r) => [r.phase, r.parameters.read, r.parameters.duplicates, r.result ?? null]), [['before', 3, 1, null], ['after', 3, 1, 'success']]);
  });

  test('a worker restarted after a page was sent and before its cursor moved loses no alert and repeats none', async () => {
    const queue = `test-poll-restart-${randomBytes(4).toString('hex')}`;
    const api = apis.restart!;
    const [a, b] = [uniqueAddress(), uniqueAddress()];
    api.alerts.push(genericAlert('r1', a, at(1)), genericAlert('r2', b, at(2)), genericAlert('r3', a, at(3)));
    const crashing = memoryAudit();
    const first = await startWorkers(crashing.sink, queue);
    const { submitted, fail } = crashing.failNextSubmit();
    await tick('restart', `restart-tick-${randomBytes(4).toString('hex')}`, queue);
    await submitted;
    // The first page is in its incidents; the poller has not moved its cursor.
    assert.deepEqual(await received([a, b]), [1, 1]);
    assert.deepEqual([(await status('restart', queue)).cursor, (await status('restart', queue)).runs], [undefined, 0]);
    // The worker stops taking tasks, then the attempt fails: its retry can only go to the next worker.
    const stopping = first.stop();
    fail();
    await stopping;

    const restarted = memoryAudit();
    const second = await startWorkers(restarted.sink, queue);
    try {
      const done = await settled('restart', 1, queue);
      assert.deepEqual([done.cursor, done.last?.pages, done.last?.read, done.last?.error], [at(3), 3, 5, undefined], 'r1 r2 (sent again), r2 r3, r3');
      const [ia, ib] = await Promise.all([incident(a), incident(b)]);
      assert.deepEqual([ia.alertsReceived, ib.alertsReceived], [2, 1], 'r1, r2 and r3 once each');
      assert.deepEqual(ia.sampleAlerts.map((s) => s.id).sort(), ['r1', 'r3']);
      // The retried page went out again with the same signals, and the server dropped them: one signal per incident and page.
      assert.deepEqual([ia.alertBatches, ib.alertBatches], [2, 1]);
      const resent = restarted.records.find((r) => r.action === 'poll.submit' && r.phase === 'before' && r.parameters.cursor === null);
      assert.equal(resent?.parameters.sent, 2, 'the retry sent the first page again');
      assert.equal(resent!.activity!.attempt, 2);
      assert.deepEqual(api.requests.map((r) => r.query.get('since')), [null, null, at(2), at(3)]);
    } finally {
      await second.stop();
    }
  });

  test('overlapping ticks (the schedule triggered twice at once, two ticks started by hand) run one after the other and repeat nothing', async () => {
    const api = apis.overlap!;
    const [a, b] = [uniqueAddress(), uniqueAddress()];
    api.alerts.push(...[a, b, a, b, a, b].map((ip, i) => genericAlert(`o${i}`, ip, at(i + 1))));
    await startPollerSchedules(client, { taskQueue, pollers: [named('overlap')] });
    await eventually('the first run under way', async () => ((await status('overlap').catch(() => undefined))?.polling ? true : undefined));
    const schedule = client.schedule.getHandle(pollerScheduleId(taskQueue, 'overlap'));
    await Promise.all([
      schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL), schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL),
      tick('overlap', `overlap-a-${randomBytes(4).toString('hex')}`), tick('overlap', `overlap-b-${randomBytes(4).toString('hex')}`),
    ]);
    const done = await settled('overlap', 2);
    assert.equal(api.mostAtOnce(), 1, 'never two reads of the API at once');
    assert.deepEqual(await received([a, b]), [3, 3], 'six alerts, once each');
    assert.equal(done.cursor, at(6));
    assert.deepEqual([done.last?.read, done.last?.sent, done.last?.duplicates], [1, 0, 1], 'the later run read the cursor\'s alert again and sent nothing');
  });

  test('the dedupe memory keeps the last `remember` keys, no more', async () => {
    const api = apis.bounded!;
    const ip = uniqueAddress();
    api.alerts.push(...Array.from({ length: 8 }, (_, i) => genericAlert(`m${i}`, ip, at(i + 1))));
    await tick('bounded', `bounded-${randomBytes(4).toString('hex')}`);
    const done: PollerStatus = await settled('bounded', 1);
    assert.deepEqual([done.remembered, done.remember, done.last?.sent, done.last?.duplicates], [3, 3, 8, 7]);
    assert.equal((await incident(ip)).alertsReceived, 8);
  });

  test('a poller gone from the file loses its schedule and its state; the others keep theirs', async () => {
    const queue = `test-poll-gone-${randomBytes(4).toString('hex')}`;
    const [kept, gone] = [{ ...named('restart'), name: 'kept' }, { ...named('restart'), name: 'gone' }];
    await startPollerSchedules(client, { taskQueue: queue, pollers: [kept, gone] });
    const state = await client.workflow.start('pollerWorkflow', { workflowId: pollerWorkflowId(queue, 'gone'), taskQueue: queue, args: [{ poller: 'gone', remember: 10, maxPages: 1 }] });
    const listed = async () => {
      const ids: string[] = [];
      for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(`riposte-poll:${queue}:`)) ids.push(s.scheduleId);
      return ids;
    };
    await eventually('both schedules listed', async () => ((await listed()).length === 2 ? true : undefined));
    assert.deepEqual(await removeStalePollerSchedules(client, { taskQueue: queue, kept: ['kept'] }), ['gone']);
    await assert.rejects(client.schedule.getHandle(pollerScheduleId(queue, 'gone')).describe(), ScheduleNotFoundError);
    assert.equal((await state.describe()).status.name, 'TERMINATED');
    const keptSchedule = await client.schedule.getHandle(pollerScheduleId(queue, 'kept')).describe();
    assert.deepEqual(keptSchedule.spec.intervals?.map((i) => i.every), [3_600_000]);
    await client.schedule.getHandle(pollerScheduleId(queue, 'kept')).delete();
  });
});
