import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { eventuallyCount } from '../support/eventually.ts';
import { postAlert } from '../support/http.ts';
import { CONCURRENCY, describeRound, type IngestRound, ingestRound, roundsForFile, sideRate } from '../support/ingestRounds.ts';
import { edlAddresses } from '../support/points.ts';
import { rawIngest } from '../support/rawIncidents.ts';
import { alternate } from '../support/rounds.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';
import { statusQuery } from '../../workflows/messages.ts';

/** The API's side and the raw side storm addresses of their own, so each makes the worker contain as many. */
const SIDES = { api: 2, raw: 4 } as const;

/**
 * A storm of alerts on a few addresses with the worker running in `auto` mode: through the API, and as the same work
 * from this process without the API (support/rawIncidents.ts), in alternating rounds. Each side has its own
 * addresses, so each side's first round starts its incidents and makes the worker contain every one of them, and
 * later rounds add to open incidents: both halves cost the machine the same containments.
 */
export const ingestStorm: Scenario = {
  name: 'ingest-storm',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 4;
    const alerts = ctx.quick ? 1_000 : 10_000;
    const addresses = ctx.quick ? 20 : 200;
    const perRound = alerts / rounds;
    const stack = await startStack(`${ctx.scratch}/ingest-storm`, {
      policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['edl'] } },
    });
    try {
      const raw = await rawIngest(stack);
      const ip = (side: keyof typeof SIDES, i: number) => ipv6At(SIDES[side], i % addresses);
      ctx.log(`ingest-storm: ${alerts} alerts a side for ${addresses} addresses each, in ${rounds} alternating rounds, ${CONCURRENCY} at a time`);
      const body = (side: keyof typeof SIDES, round: number, i: number) => ({ hostname: 'web01', ip: ip(side, round * perRound + i), id: `storm-${side}-${round * perRound + i}` });
      const records = await alternate<IngestRound>(rounds, [
        { name: 'api', run: (round) => ingestRound(perRound, (i) => postAlert(stack.apiUrl, body('api', round, i))) },
        { name: 'raw', run: (round) => ingestRound(perRound, (i) => raw(body('raw', round, i))) },
      ], { log: (m) => ctx.log(`ingest-storm ${m}`), describe: describeRound });

      ctx.log('ingest-storm: checking incidents, the enforcement point and counts');
      const sides = {} as Record<keyof typeof SIDES, Settled>;
      for (const side of Object.keys(SIDES) as (keyof typeof SIDES)[]) {
        sides[side] = await settle(stack, Array.from({ length: addresses }, (_, i) => ip(side, i)), alerts / addresses);
      }
      const incidents = await eventuallyCount(async () => (await stack.client.workflow.count('WorkflowType = "incidentWorkflow"')).count, 2 * addresses);
      const atPoint = (await edlAddresses(stack.dataDir)).size;
      const failures = (side: string) => records.filter((r) => r.side === side).reduce((n, r) => n + r.value.failures, 0);
      const apiRate = sideRate(records, 'api');
      const rawRate = sideRate(records, 'raw');
      const latencies = (side: string) => summary(records.filter((r) => r.side === side).flatMap((r) => r.value.latencies));
      const checks: Record<string, boolean> = { allAccepted: failures('api') === 0 && failures('raw') === 0, [`exactly ${2 * addresses} incidents`]: incidents === 2 * addresses, [`exactly ${2 * addresses} addresses at the EDL point`]: atPoint === 2 * addresses };
      for (const [side, settled] of Object.entries(sides)) {
        checks[`${side}: ${addresses} contained incidents`] = settled.contained === addresses;
        checks[`${side}: ${addresses} addresses at the EDL point`] = settled.atPoint === addresses;
        checks[`${side}: sum of counts = ${alerts}`] = settled.sum === alerts;
      }
      return {
        name: 'ingest-storm',
        parameters: {
          alertsPerSide: alerts, addressesPerSide: addresses, rounds, concurrency: CONCURRENCY, coalesceWindowMs: 2, mode: 'auto', points: ['edl'],
          api: 'HTTP POST /v1/alerts/humio; the API signal-with-starts the incident, coalescing alerts in flight for one incident',
          raw: 'the same normalization, incident input and signal-with-start from the bench process, one alert a call',
          both: 'each side its own addresses: the first round starts and contains each side\'s incidents, later rounds add to open ones; the worker runs throughout',
        },
        figures: {
          apiAlertsPerSecond: apiRate, rawAlertsPerSecond: rawRate, apiLatencyMs: latencies('api'), rawLatencyMs: latencies('raw'),
          incidents, addressesAtPoint: atPoint, sides, rounds: roundsForFile(records),
        },
        ratios: { 'api/raw': ratio(apiRate, rawRate) },
        checks,
      };
    } finally {
      await stack.stop();
    }
  },
};

interface Settled {
  contained: number;
  atPoint: number;
  sum: number;
  signalsReceived: number;
}

/** Waits (bounded) until every incident has counted its alerts, is contained and its address is at the point. */
async function settle(stack: Stack, addresses: readonly string[], perAddress: number): Promise<Settled> {
  const deadline = Date.now() + 180_000;
  const settled: Settled = { contained: 0, atPoint: 0, sum: 0, signalsReceived: 0 };
  for (const address of addresses) {
    for (;;) {
      const state = await stack.client.workflow.getHandle(`brute-force:${address}`).query(statusQuery).catch(() => undefined);
      const atPoint = (await edlAddresses(stack.dataDir)).has(address);
      const done = state?.alertsReceived === perAddress && state.status === 'contained' && atPoint;
      if (done || Date.now() > deadline) {
        settled.contained += state?.status === 'contained' ? 1 : 0;
        settled.atPoint += atPoint ? 1 : 0;
        settled.sum += state?.alertCount ?? 0;
        settled.signalsReceived += state?.alertBatches ?? 0;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return settled;
}
