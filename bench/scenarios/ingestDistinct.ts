import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { eventuallyCount } from '../support/eventually.ts';
import { postAlert } from '../support/http.ts';
import { rawIngest } from '../support/rawIncidents.ts';
import { alternate } from '../support/rounds.ts';
import { startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';
import { CONCURRENCY, describeRound, type IngestRound, ingestRound, roundsForFile, sideRate } from '../support/ingestRounds.ts';

/**
 * Alerts a second the API durably accepts, each for a new address, against the same work done from this process
 * without the API (support/rawIncidents.ts), in alternating rounds. No worker: both sides measure acceptance alone.
 */
export const ingestDistinct: Scenario = {
  name: 'ingest-distinct',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 4;
    const perRound = ctx.quick ? 250 : 2_500;
    const stack = await startStack(`${ctx.scratch}/ingest-distinct`, { policy: {}, worker: false });
    try {
      const raw = await rawIngest(stack);
      ctx.log(`ingest-distinct: ${rounds} rounds of ${perRound} alerts a side, each for a new address, ${CONCURRENCY} at a time`);
      const records = await alternate<IngestRound>(rounds, [
        { name: 'api', run: (round) => ingestRound(perRound, (i) => postAlert(stack.apiUrl, { hostname: 'web01', ip: ipv6At(1, round * perRound + i) })) },
        { name: 'raw', run: (round) => ingestRound(perRound, (i) => raw({ hostname: 'web01', ip: ipv6At(3, round * perRound + i) })) },
      ], { log: (m) => ctx.log(`ingest-distinct ${m}`), describe: describeRound });
      const failures = (side: string) => records.filter((r) => r.side === side).reduce((n, r) => n + r.value.failures, 0);
      const accepted = 2 * rounds * perRound - failures('api') - failures('raw');
      // A 202 means durably accepted only if the incident is really there: count them.
      const incidents = await eventuallyCount(async () => (await stack.client.workflow.count('WorkflowType = "incidentWorkflow"')).count, accepted);
      const apiRate = sideRate(records, 'api');
      const rawRate = sideRate(records, 'raw');
      const latencies = (side: string) => summary(records.filter((r) => r.side === side).flatMap((r) => r.value.latencies));
      return {
        name: 'ingest-distinct',
        parameters: { rounds, alertsPerRound: perRound, concurrency: CONCURRENCY, worker: false, server: 'temporal dev server, SQLite file', raw: 'the API\'s normalization, incident input and signal-with-start from the bench process: no HTTP, authentication, process hop or coalescing' },
        figures: { apiAlertsPerSecond: apiRate, rawAlertsPerSecond: rawRate, apiLatencyMs: latencies('api'), rawLatencyMs: latencies('raw'), apiFailures: failures('api'), rawFailures: failures('raw'), incidents, rounds: roundsForFile(records) },
        ratios: { 'api/raw': ratio(apiRate, rawRate) },
        checks: { allAccepted: failures('api') === 0 && failures('raw') === 0, 'one incident per accepted alert': incidents === accepted },
      };
    } finally {
      await stack.stop();
    }
  },
};
