import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IncidentView } from '../../cli/format.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { projectDir } from '../support/stack.ts';
import { summary } from '../support/stats.ts';

/** Issue 11's goal for `riposte status` on this machine. */
const GOAL_MS = 300;
const ID = 'brute-force:203.0.113.7';

/** An incident as GET /v1/incidents/:id answers it, with a timeline as long as a contained one's. */
function incident(): IncidentView {
  const at = '2026-12-03T10:00:00.000Z';
  return {
    id: ID, playbook: 'brute-force', entity: '203.0.113.7', entityKind: 'address', status: 'contained', mode: 'auto', policyVersion: 'bench',
    alertCount: 12, alertsReceived: 3, alertBatches: 3, maxSeverity: 7, openedAt: at, previousIncidents: 1, paused: false,
    geo: { country: 'NL', city: 'Amsterdam' }, plan: ['block 203.0.113.7 for 1h at nftables'],
    actions: [{ kind: 'block', target: '203.0.113.7', params: {}, detail: 'blocked for 1h at nftables', outcome: 'done', idempotencyKey: `${ID}|block`, at }],
    timeline: Array.from({ length: 12 }, (_, i) => ({ at, event: i === 0 ? 'opened' : 'alerts', detail: `${i + 1} alert(s)` })),
  } satisfies Partial<IncidentView> as IncidentView;
}

/** Runs a command to its exit; its wall time in milliseconds, and its output. */
async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: projectDir, env });
  return { ms: performance.now() - started, stdout };
}

/**
 * How long `riposte status ID` takes from start to exit, as an operator runs it, against a stand-in API that answers at
 * once (the API's own time is another scenario's). Beside it in the same rounds: `node -e 0`, the floor any node
 * program pays on this machine, so a busy machine shows in both.
 */
export const cliStart: Scenario = {
  name: 'cliStart',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    await promisify(execFile)(process.execPath, [join(projectDir, 'scripts/bundle-cli.mjs')], { cwd: projectDir });
    const body = JSON.stringify(incident());
    const server = createServer((req, res) => {
      const known = req.url === `/v1/incidents/${encodeURIComponent(ID)}`;
      res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' }).end(known ? body : '{"error":"not_found"}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const env = { ...process.env, RIPOSTE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, RIPOSTE_API_KEY: 'bench-cli-key', RIPOSTE_API_KEY_FILE: '' };
    const rounds = ctx.quick ? 5 : 30;
    const node: number[] = [];
    const status: number[] = [];
    let printed = true;
    try {
      for (let round = 0; round < rounds; round += 1) {
        node.push((await timed(['-e', '0'], env)).ms);
        const answer = await timed([join(projectDir, 'cli/riposte.mjs'), 'status', ID], env);
        status.push(answer.ms);
        printed &&= answer.stdout.startsWith(`${ID}\n`);
      }
    } finally {
      await new Promise((ok) => server.close(ok));
    }
    const [nodeMs, statusMs] = [summary(node), summary(status)];
    ctx.log(`cliStart: riposte status p50 ${statusMs.p50} ms, node -e 0 p50 ${nodeMs.p50} ms`);
    const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a / b) * 100) / 100);
    return {
      name: 'cliStart',
      parameters: { rounds, goalMs: GOAL_MS, command: `riposte status ${ID}` },
      figures: { statusMs, nodeMs },
      ratios: { 'status p50/node p50': ratio(statusMs.p50, nodeMs.p50), 'status p50/goal': ratio(statusMs.p50, GOAL_MS) },
      checks: { 'every run printed the incident': printed },
      notes: ['the bundle is rebuilt first (scripts/bundle-cli.mjs), so the timed command runs in plain node as after npm install'],
    };
  },
};
