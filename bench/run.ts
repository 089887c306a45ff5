/**
 * `npm run bench [-- --quick] [--only a,b] [--name N]`: runs the scenarios one after another, prints one JSON document
 * on stdout and writes it to bench/results/<name>.json, with a summary for people on stderr. Exits non-zero when a
 * scenario fails or one of its correctness checks does.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ingestDistinct } from './scenarios/ingestDistinct.ts';
import { ingestStorm } from './scenarios/ingestStorm.ts';
import { timeToContain } from './scenarios/timeToContain.ts';
import { activeBlocks } from './scenarios/activeBlocks.ts';
import { approvalLatency } from './scenarios/approvalLatency.ts';
import { playbookCost } from './scenarios/playbookCost.ts';
import { engineCeiling } from './scenarios/engineCeiling.ts';
import { simulateScenario } from './scenarios/simulate.ts';
import { cliStart } from './scenarios/cliStart.ts';
import { machineInfo } from './support/machine.ts';
import { summarize } from './summary.ts';
import { projectDir, temporalCliPath } from './support/stack.ts';

const scenarios: Scenario[] = [ingestDistinct, ingestStorm, timeToContain, activeBlocks, approvalLatency, playbookCost, engineCeiling, simulateScenario, cliStart];

const HELP = `usage: npm run bench -- [--quick] [--only ${scenarios.map((s) => s.name).join(',')}] [--name NAME]
  --quick   one short run of every scenario (a smoke check, about 4 minutes on a busy 2-core machine)
  --only    run only these scenarios (comma-separated)
  --name    result file name under bench/results/ (default: quick or full)`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    process.stderr.write(`${HELP}\n`);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${HELP}\n`);
    return 2;
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const quick = values.quick ?? false;
  const name = values.name ?? (quick ? 'quick' : 'full');
  const scratch = await mkdtemp(join(tmpdir(), 'riposte-bench-'));
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const startedAt = new Date().toISOString();
  const results: (ScenarioResult | { name: string; error: string })[] = [];
  try {
    for (const scenario of scenarios.filter((s) => !only || only.includes(s.name))) {
      const t0 = Date.now();
      try {
        const result = await scenario.run({ quick, scratch, log });
        results.push({ ...result, figures: { ...result.figures, scenarioSeconds: Math.round((Date.now() - t0) / 100) / 10 } });
        log(`${scenario.name}: ${JSON.stringify(result.ratios)} ${result.checks ? JSON.stringify(result.checks) : ''}`);
      } catch (err) {
        results.push({ name: scenario.name, error: (err as Error).stack ?? String(err) });
        log(`${scenario.name} FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const summary = summarize(results.map((r) => ('summary' in r ? r.summary : undefined)));
  const document = { name, quick, startedAt, finishedAt: new Date().toISOString(), machine: machineInfo(temporalCliPath()), summary, scenarios: results };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  await mkdir(join(projectDir, 'bench', 'results'), { recursive: true });
  await writeFile(join(projectDir, 'bench', 'results', `${name}.json`), text);
  process.stdout.write(text);
  log(`summary: ${JSON.stringify(summary)}`);
  const failed = results.filter((r) => 'error' in r || Object.values(r.checks ?? {}).includes(false));
  if (failed.length > 0) log(`failed: ${failed.map((r) => r.name).join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
