import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createJsonlAuditReader, JsonlAuditSink } from '../../activities/audit/index.ts';
import { assertNoStack, cli, CLI_COMMAND, cliEnv, projectDir } from '../support/cli.ts';
import { eventually, startApi, startRiposte, TEST_API_KEY, testKey, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '10m', reviewWindow: '1m', notify: [] } } });
const rita = testKey('rita', 'responder');
const victor = testKey('victor', 'viewer');

/** `riposte tail` running: its stdout lines with when each arrived, and its stderr. */
interface Tail {
  child: ChildProcess;
  lines: { text: string; at: number }[];
  stderr(): string;
  exit: Promise<number | null>;
}

function startTail(args: string[], env: Record<string, string>): Tail {
  const [file, ...prefix] = CLI_COMMAND;
  const child = spawn(file!, [...prefix, 'tail', ...args], { cwd: projectDir, env: cliEnv(env) });
  const lines: Tail['lines'] = [];
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const text of parts) lines.push({ text, at: performance.now() });
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, lines, stderr: () => err, exit };
}

describe('riposte tail, audit, control, verdicts, version and completion against the real API', () => {
  let dir: string;
  let sink: JsonlAuditSink;
  let riposte: TestRiposte;
  let api: TestApi;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riposte-cli-live-'));
    sink = await JsonlAuditSink.open(join(dir, 'audit.jsonl'));
    riposte = await startRiposte({ policy, audit: sink });
    api = await startApi(riposte, policy, { keys: [rita.spec, victor.spec], audit: createJsonlAuditReader(join(dir, 'audit.jsonl')) });
    env = { RIPOSTE_URL: api.url, RIPOSTE_API_KEY: rita.key, RIPOSTE_DATA_DIR: join(dir, 'empty') };
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    await sink?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('tail prints a new incident within 1 s of its alert, then its status and the block; --json one event a line; Ctrl-C exits 0', async () => {
    const plain = startTail([], env);
    const json = startTail(['--json'], { ...env, RIPOSTE_API_KEY: victor.key });
    try {
      await eventually('both tails following', () => (plain.stderr().includes('following') && json.stderr().includes('following') ? true : undefined), 30_000);
      const ip = uniqueAddress();
      const id = `brute-force:${ip}`;
      const posted = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 });
      const acceptedAt = performance.now();
      assert.equal(posted.status, 202);
      const printed = await eventually('the incident printed', () => plain.lines.find((l) => l.text.includes(`incident  ${id}  `)));
      assert.ok(printed.at - acceptedAt < 1_000, `printed ${Math.round(printed.at - acceptedAt)} ms after the 202`);
      assert.match(printed.text, /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}incident {2}brute-force:\S+ {2}\w+$/);

      await eventually('awaiting approval printed', () => plain.lines.find((l) => l.text.endsWith(`${id}  awaiting_approval`)));
      assert.equal((await cli(['approve', id], env)).code, 0);
      const action = await eventually('the block printed', () => plain.lines.find((l) => l.text.includes(`action    block.apply ${ip} at edl: success  (${id})`)));
      assert.ok(action);

      const events = json.lines.map((l) => JSON.parse(l.text));
      const incident = events.find((e) => e.event === 'incident' && e.data.id === id);
      assert.ok(incident, 'the --json tail got the incident too');
      assert.deepEqual(Object.keys(incident).sort(), ['data', 'event', 'id']);
      assert.equal(incident.data.playbook, 'brute-force');

      for (const tail of [plain, json]) tail.child.kill('SIGINT');
      assert.deepEqual(await Promise.all([plain.exit, json.exit]), [0, 0]);
      await api.call('DELETE', `/v1/blocks/${ip}`, {});
    } finally {
      for (const tail of [plain, json]) if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
    }
  });

  test('tail with a refused key ends with exit 1; with the API down it keeps trying', async () => {
    const refused = await cli(['tail'], { ...env, RIPOSTE_API_KEY: 'rip_not_a_key_0123456789' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: .*API key.*\nhint: the key from RIPOSTE_API_KEY was not accepted/);
    assertNoStack(refused);

    const down = startTail([], { ...env, RIPOSTE_URL: 'http://127.0.0.1:9' });
    try {
      await eventually('a retry announced', () => (/reconnecting in 1 s/.test(down.stderr()) ? true : undefined), 30_000);
      down.child.kill('SIGINT');
      assert.equal(await down.exit, 0);
    } finally {
      if (down.child.exitCode === null) down.child.kill('SIGKILL');
    }
  });

  test('audit: the trail as a table or JSON, narrowed to one incident', async () => {
    const ip = uniqueAddress();
    const id = `brute-force:${ip}`;
    assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 })).status, 202);
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' ? true : undefined));
    assert.equal((await api.call('POST', `/v1/incidents/${id}/approve`, {})).status, 202);
    const records = await eventually('the block audited', async () => {
      const answer = await cli(['audit', '--incident', id, '--limit', '50', '--json'], env);
      assert.equal(answer.code, 0, answer.stderr);
      const parsed = JSON.parse(answer.stdout);
      return parsed.records.some((r: { action: string; phase: string }) => r.action === 'block.apply' && r.phase === 'after') ? parsed : undefined;
    });
    assert.equal(records.limit, 50);
    assert.ok(records.records.every((r: { trigger: { incidentId: string } }) => r.trigger.incidentId === id));
    const table = await cli(['audit', '--incident', id], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^AT +PHASE +ACTION +TARGET +POINT +RESULT +BY +INCIDENT\n/);
    assert.match(table.stdout, new RegExp(`after +block\\.apply +${ip.replaceAll('.', '\\.')} +edl +success +automation|after +block\\.apply +\\S+ +edl +success`));
    const bad = await cli(['audit', '--limit', 'lots'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /query\.limit/);
    await api.call('DELETE', `/v1/blocks/${ip}`, {});
  });

  test('control: show, pause with a reason, resume and breaker-reset as an admin; a responder is refused', async () => {
    const admin = { ...env, RIPOSTE_API_KEY: TEST_API_KEY };
    const paused = await cli(['control', 'pause', '--reason', 'change window'], admin);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^containment {2}PAUSED by \S+ at \S+: change window\nbreaker {6}armed/);
    const shown = await cli(['control', '--json'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).paused, true);
    const resumed = await cli(['control', 'resume', '--json'], admin);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).paused, false);
    const reset = await cli(['control', 'breaker-reset'], admin);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /^breaker re-armed/);
    const refused = await cli(['control', 'pause'], env);
    assert.equal(refused.code, 1);
    assertNoStack(refused);
    const usage = await cli(['control', 'pause', 'now'], admin);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: unexpected argument "now"\n\nUsage: riposte control pause/);
  });

  test('verdicts: per playbook, as a table and as JSON', async () => {
    const json = await cli(['verdicts', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(Object.keys(JSON.parse(json.stdout).playbooks['brute-force']).sort(), ['false_positive', 'true_positive']);
    const table = await cli(['verdicts'], env);
    assert.match(table.stdout, /^PLAYBOOK +TRUE POSITIVES +FALSE POSITIVES\n(.*\n)*brute-force +\d+ +\d+/);
  });

  test('--version and version print package.json\'s version; completion prints a script; every new command has --help', async () => {
    const { version } = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8'));
    for (const args of [['--version'], ['version']]) {
      const answer = await cli(args);
      assert.equal(answer.code, 0, answer.stderr);
      assert.equal(answer.stdout, `riposte ${version}\n`);
    }
    const bash = await cli(['completion', 'bash']);
    assert.equal(bash.code, 0);
    assert.match(bash.stdout, /complete -o default -F _riposte riposte\n$/);
    const zsh = await cli(['completion', 'zsh']);
    assert.match(zsh.stdout, /^#compdef riposte\n/);
    assert.equal((await cli(['completion'])).code, 2);
    for (const command of [['tail'], ['audit'], ['verdicts'], ['control'], ['control', 'pause'], ['control', 'resume'], ['control', 'breaker-reset'], ['completion'], ['version']]) {
      const help = await cli([...command, '--help']);
      assert.equal(help.code, 0, `${command.join(' ')} --help`);
      assert.match(help.stdout, new RegExp(`^Usage: riposte ${command.join(' ')}`));
    }
  });
});
