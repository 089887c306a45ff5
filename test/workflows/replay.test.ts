/**
 * Incidents and blocks stay open for days, so a deploy replays their histories on new code. These tests replay the
 * histories `npm run record-histories` committed under test/fixtures/histories against today's workflow bundle: a
 * change that is not wrapped in `patched()` fails here, naming the history it breaks, before it reaches an open
 * incident. See docs/UPGRADES.md.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { type History, historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, type ReplayResult, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { IncidentInput } from '../../domain/incident.ts';
import { playbooks } from '../../playbooks/index.ts';
import * as workflows from '../../workflows/index.ts';
import { quietRuntime, suiteServer } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const FIXTURES_DIR = join(projectDir, 'test/fixtures/histories');

interface Fixture {
  file: string;
  history: History;
  workflowId: string;
  workflowType: string;
  /** The playbook an incident history runs. */
  playbook?: string;
}

/** What each history is, read from its first event rather than its file name, which a rename could make lie. */
async function loadFixtures(): Promise<Fixture[]> {
  const files = (await readdir(FIXTURES_DIR).catch(() => [])).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(files.map(async (file) => {
    const history = historyFromJSON(JSON.parse(await readFile(join(FIXTURES_DIR, file), 'utf8')));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.ok(started?.workflowType?.name, `${file}: the first event is not a workflow start`);
    const input = started.input?.payloads?.[0];
    const workflowType = started.workflowType.name;
    const playbook = workflowType === 'incidentWorkflow' && input ? defaultPayloadConverter.fromPayload<IncidentInput>(input).playbook : undefined;
    return { file, history, workflowId: started.workflowId || file, workflowType, playbook };
  }));
}

/** Replays one history against a bundle of workflow code, throwing what the replay threw. */
async function replay(code: string, fixture: Fixture): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: { code }, replayName: 'replay-guard' }, fixture.history, fixture.workflowId);
}

describe('committed workflow histories', () => {
  let fixtures: Fixture[];
  before(async () => {
    quietRuntime();
    fixtures = await loadFixtures();
  });

  test('cover every workflow type and every playbook, so deleting fixtures cannot make this suite pass', () => {
    assert.ok(fixtures.length > 0, `no histories in ${FIXTURES_DIR}: run \`npm run record-histories\``);
    const types = new Set(fixtures.map((f) => f.workflowType));
    const playbooksRun = new Set(fixtures.map((f) => f.playbook));
    const missing = [
      ...Object.keys(workflows).filter((type) => !types.has(type)).map((type) => `workflow type ${type}`),
      ...playbooks.map((p) => p.name).filter((name) => !playbooksRun.has(name)).map((name) => `playbook ${name}`),
    ];
    assert.deepEqual(missing, [], `no recorded history for: ${missing.join(', ')}; add a case to scripts/record-histories.ts and run it`);
  });

  test('replay on the current workflow code without a determinism error', async () => {
    assert.ok(fixtures.length > 0, `no histories in ${FIXTURES_DIR}`);
    const results: ReplayResult[] = [];
    const histories = fixtures.map(({ history, workflowId }) => ({ history, workflowId }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: suiteServer().bundlePath }, replayName: 'replay-fixtures' }, histories)) {
      results.push(result);
    }
    // One result per history, in order: a replay worker that stopped early must not look like a pass.
    assert.equal(results.length, fixtures.length, 'the replay worker did not replay every history');
    const failures = results.flatMap((result, i) => (result.error ? [`${fixtures[i]!.file}: ${result.error.name}: ${result.error.message}`] : []));
    assert.deepEqual(failures, [], `histories that no longer replay (wrap the change in patched(), see docs/UPGRADES.md):\n${failures.join('\n')}`);
  });
});

/**
 * Proof that the replay above would catch an unpatched change: a copy of the workflows whose blockWorkflow starts a
 * timer before anything else, once plainly and once behind `patched()`. The copies live in a temp dir and import the
 * real modules by absolute path, so everything else is today's code.
 */
describe('the replay guard', () => {
  let scratch: string;
  let blockHistory: Fixture;
  before(async () => {
    quietRuntime();
    scratch = await mkdtemp(join(tmpdir(), 'riposte-replay-guard-'));
    const found = (await loadFixtures()).find((f) => f.workflowType === 'blockWorkflow');
    assert.ok(found, 'no recorded blockWorkflow history');
    blockHistory = found;
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  /** Bundles the real workflows with blockWorkflow replaced by one that runs `prelude` first. */
  async function bundleWithBlockPrelude(name: string, prelude: string): Promise<string> {
    const workflowsDir = join(projectDir, 'workflows');
    const others = Object.keys(workflows).filter((type) => type !== 'blockWorkflow');
    const path = join(scratch, `${name}.ts`);
    await writeFile(path, [
      `import { patched, sleep } from '@temporalio/workflow';`,
      `import { blockWorkflow as released } from ${JSON.stringify(join(workflowsDir, 'block.ts'))};`,
      `export { ${others.join(', ')} } from ${JSON.stringify(join(workflowsDir, 'index.ts'))};`,
      `export async function blockWorkflow(...args: Parameters<typeof released>): ReturnType<typeof released> {`,
      `  ${prelude}`,
      `  return released(...args);`,
      `}`,
    ].join('\n'));
    const { code } = await bundleWorkflowCode({
      workflowsPath: path,
      // The temp dir has no node_modules of its own: @temporalio/workflow must be the project's copy, the one the
      // real modules use.
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), join(projectDir, 'node_modules')] } }),
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    });
    return code;
  }

  test('an extra timer before the first command fails the replay with a DeterminismViolationError', async () => {
    const code = await bundleWithBlockPrelude('unpatched', `await sleep(1);`);
    await assert.rejects(replay(code, blockHistory), (err: unknown) => {
      assert.ok(err instanceof DeterminismViolationError, `expected a DeterminismViolationError, got ${(err as Error).name}: ${(err as Error).message}`);
      return true;
    });
  });

  test('the same timer behind patched() replays cleanly', async () => {
    const code = await bundleWithBlockPrelude('patched', `if (patched('replay-guard-extra-timer')) await sleep(1);`);
    await replay(code, blockHistory);
  });
});
