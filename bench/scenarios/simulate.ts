import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizerFor } from '../../api/routes/simulate.ts';
import { replay } from '../../domain/simulation/replay.ts';
import { loadPolicy } from '../../runtime/policyFile.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { projectDir } from '../support/stack.ts';
import { summary } from '../support/stats.ts';

const ALERTS = 10_000;
const ATTACKERS = 2_000;
/** Issue 9's goal for `riposte simulate` on 10,000 exported alerts. */
const GOAL_SECONDS = 10;

/**
 * A Wazuh export as alerts.json holds it, one alert per line: SSH failures from many addresses (the stock mapping
 * makes them auth.failure), a custom rule only the new policy maps, and successful sign-ins (login histories).
 */
function wazuhExport(): string {
  const lines: string[] = [];
  for (let i = 0; i < ALERTS; i += 1) {
    const timestamp = new Date(Date.UTC(2026, 0, 3, 3, 0, 0) + i * 1000).toISOString().replace('Z', '+0000');
    const srcip = ipv6At(90, i % ATTACKERS);
    const kind = i % 10;
    const rule = kind === 8
      ? { id: '100100', level: 8, description: 'Payroll app: login failed', groups: ['payroll'] }
      : kind === 9
        ? { id: '5715', level: 3, description: 'sshd: authentication success.', groups: ['syslog', 'sshd', 'authentication_success'] }
        : { id: '5760', level: 5, description: 'sshd: authentication failed.', groups: ['syslog', 'sshd', 'authentication_failed'] };
    lines.push(JSON.stringify({
      timestamp, rule, id: `${Date.parse(timestamp) / 1000}.${i}`, agent: { id: '001', name: 'bastion-1' }, manager: { name: 'wazuh-manager' },
      full_log: `sshd[4242]: ${kind === 9 ? 'Accepted' : 'Failed'} password for user${i % 50} from ${srcip} port 50022 ssh2`,
      data: { srcip, srcuser: `user${i % 50}`, ...(kind === 9 ? { dstuser: `user${i % 50}@corp.example` } : {}) },
    }));
  }
  return `${lines.join('\n')}\n`;
}

function simulateOnce(args: string[]): Promise<{ seconds: number; code: number; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((ok) => {
    execFile(process.execPath, ['--import', 'tsx', join(projectDir, 'cli/riposte.ts'), 'simulate', ...args], { cwd: projectDir, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      ok({ seconds: (performance.now() - started) / 1000, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The same work in this process, with its CPU time: what the command costs apart from start-up and a busy machine. */
async function inProcess(files: Record<'alerts' | 'policy' | 'against', string>): Promise<{ seconds: number; cpuSeconds: number }> {
  const [policy, against, text] = await Promise.all([loadPolicy(files.policy), loadPolicy(files.against), readFile(files.alerts, 'utf8')]);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const bodies = text.split('\n').flatMap((line, i) => (line.trim() === '' ? [] : [{ at: `line ${i + 1}`, body: JSON.parse(line) as unknown }]));
  replay(bodies, normalizerFor('wazuh', new Date()), policy, against, { now: Date.now() });
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

interface CaseResult {
  seconds: number[];
  inProcess: { seconds: number; cpuSeconds: number }[];
  report?: { bodies: number; refused: unknown[]; policy: { alerts: number; incidents: unknown[]; loginHistory: { alerts: number } }; diff: { changes: unknown[] } };
  failure?: string;
}

/**
 * `riposte simulate` on 10,000 exported Wazuh alerts, a new policy against the current one, timed from the command's
 * start to its exit (tsx's start-up included), as an operator runs it. Two cases: the policies map the source's rules
 * alike (one pass of the normaliser serves both), and the new one maps a rule the current one does not (two passes).
 */
export const simulateScenario: Scenario = {
  name: 'simulate',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const dir = join(ctx.scratch, 'simulate');
    await mkdir(dir, { recursive: true });
    const alerts = join(dir, 'past.jsonl');
    await writeFile(alerts, wazuhExport());
    const policies = {
      current: 'playbooks:\n  brute-force: { mode: approve }\n',
      stricter: 'playbooks:\n  brute-force: { mode: auto, thresholds: { minAlerts: 3 }, blockDuration: [1h, 24h] }\n',
      mapped: 'sources:\n  wazuh:\n    types: { "group:payroll": auth.failure }\nplaybooks:\n  brute-force: { mode: auto, thresholds: { minAlerts: 3 }, blockDuration: [1h, 24h] }\n',
    };
    for (const [name, text] of Object.entries(policies)) await writeFile(join(dir, `${name}.yaml`), text);
    const cases = { sameMapping: 'stricter', mappingChanged: 'mapped' } as const;
    const runs = ctx.quick ? 1 : 3;
    const results: Record<string, CaseResult> = {};
    for (const [label, policy] of Object.entries(cases)) {
      const files = { alerts, policy: join(dir, `${policy}.yaml`), against: join(dir, 'current.yaml') };
      const result: CaseResult = { seconds: [], inProcess: [] };
      for (let run = 0; run < runs; run += 1) {
        const cli = await simulateOnce(['--alerts', alerts, '--source', 'wazuh', '--policy', files.policy, '--against', files.against, '--json']);
        if (cli.code !== 0) result.failure = cli.stderr.slice(0, 2000);
        result.seconds.push(cli.seconds);
        result.report = JSON.parse(cli.stdout);
        result.inProcess.push(await inProcess(files));
        ctx.log(`simulate ${label}: run ${run + 1} of ${runs}: ${cli.seconds.toFixed(2)} s; in process ${result.inProcess.at(-1)!.cpuSeconds.toFixed(2)} s CPU`);
      }
      results[label] = result;
    }
    const figuresOf = (result: CaseResult) => ({
      seconds: summary(result.seconds),
      inProcessSeconds: summary(result.inProcess.map((r) => r.seconds)),
      inProcessCpuSeconds: summary(result.inProcess.map((r) => r.cpuSeconds)),
      alertsSimulated: result.report?.policy.alerts ?? null,
      incidents: result.report?.policy.incidents.length ?? null,
      signInsToLoginHistory: result.report?.policy.loginHistory.alerts ?? null,
      decisionsChanged: result.report?.diff.changes.length ?? null,
      ...(result.failure ? { failure: result.failure } : {}),
    });
    const slowest = (result: CaseResult) => Math.round((Math.max(...result.seconds) / GOAL_SECONDS) * 1000) / 1000;
    const complete = (result: CaseResult) => result.failure === undefined && result.report?.policy.alerts === ALERTS && result.report.refused.length === 0;
    return {
      name: 'simulate',
      parameters: { alerts: ALERTS, attackers: ATTACKERS, source: 'wazuh', runs, against: 'current.yaml', goalSeconds: GOAL_SECONDS, cases },
      figures: Object.fromEntries(Object.entries(results).map(([label, result]) => [label, figuresOf(result)])),
      ratios: Object.fromEntries(Object.entries(results).map(([label, result]) => [`${label} slowest/goal`, slowest(result)])),
      checks: Object.fromEntries(Object.entries(results).map(([label, result]) => [`${label}: every alert simulated, none refused`, complete(result)])),
      notes: ['seconds: the command from start to exit, tsx start-up included; inProcess: the same normalising, simulating and comparing in the bench process, so a busy machine shows in seconds and not in CPU seconds'],
    };
  },
};
