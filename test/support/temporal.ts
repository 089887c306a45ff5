import { blockShards, type BlockShards } from '../../activities/blocks.ts';
import type { AuditReader, AuditSink } from '../../activities/audit/record.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { openDbipGeoIp } from '../../activities/enrich/geoip.ts';
import type { Notifier } from '../../activities/notify/notification.ts';
import { createApp } from '../../api/app.ts';
import { type ApiKeySpec, type Role, sha256Hex } from '../../api/auth.ts';
import type { WebhookSecret } from '../../api/signature.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { type PolicySnapshot, policySchema } from '../../domain/policy.ts';
import { registerSearchAttributes } from '../../runtime/searchAttributes.ts';
import { createRiposteWorkers, type Responders } from '../../workers/riposteWorkers.ts';
import { guardOf } from '../../domain/actions/guard.ts';

/** Set by scripts/run-tests.ts, which starts one dev server and one workflow bundle for the whole suite. */
export function suiteServer(): { address: string; bundlePath: string } {
  const address = process.env.RIPOSTE_TEST_TEMPORAL_ADDRESS;
  const bundlePath = process.env.RIPOSTE_TEST_WORKFLOW_BUNDLE;
  if (!address || !bundlePath) throw new Error('run this test through `npm test` (or `npm test -- FILE`), which starts the Temporal server');
  return { address, bundlePath };
}

/**
 * A policy whose enforcement defaults to the EDL point alone, which is what startRiposte's workers have. The circuit
 * breaker is out of reach unless a test sets it: some files make more blocks than its default allows.
 */
export function testPolicy(document: Record<string, unknown> = {}): PolicySnapshot {
  return { ...policySchema.parse({ enforcement: { points: ['edl'] }, circuitBreaker: { maxNewBlocks: 1_000_000 }, ...document }), version: `test-${randomBytes(4).toString('hex')}` };
}

export interface TestRiposte {
  client: Client;
  taskQueue: string;
  /** The deployment's blocks, as the API reads and changes them (activities/blocks.ts). */
  blocks: BlockShards;
  edl: EdlFile;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The real workers against the suite's server, on task queues of their own so test files running side by side never
 * take each other's tasks. `points` defaults to an EDL file in a fresh directory.
 */
let runtimeInstalled = false;
/** The SDK logs every worker state change at INFO; tests keep warnings and errors only. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}


/**
 * A client connection whose close first waits out the SDK's pending gRPC retries. Its retry interceptor re-sends a
 * failed call from a timer, and a re-send after the channel closed throws outside any promise ("Channel has been shut
 * down"), failing whichever test file is running; so once closing begins no new retry is scheduled, and the close
 * waits for those already scheduled.
 */
export async function connectClosably(address: string): Promise<{ connection: Connection; close(): Promise<void> }> {
  const defaults = defaultGrpcRetryOptions();
  let closing = false;
  let lastRetryAt = 0;
  const connection = await Connection.connect({
    address,
    interceptors: [makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => !closing && defaults.retryableDecider(attempt, status),
      delayFunction: (attempt, status) => {
        const delay = defaults.delayFunction(attempt, status);
        lastRetryAt = Math.max(lastRetryAt, Date.now() + delay);
        return delay;
      },
    })],
  });
  return {
    connection,
    async close() {
      closing = true;
      // A retry sent just before closing began may take as long again to answer.
      while (Date.now() < lastRetryAt + 1_000) await new Promise((wake) => setTimeout(wake, lastRetryAt + 1_000 - Date.now()));
      await connection.close();
    },
  };
}

export async function startRiposte(options: {
  policy: PolicySnapshot;
  points?: (dataDir: string) => EnforcementPoint[];
  notifiers?: Notifier[];
  /** The identity providers, EDRs, asset trackers, ticket systems and manager directories response actions reach. */
  responders?: Partial<Responders>;
  taskQueue?: string;
  /** Where the workers write the audit trail; absent: nowhere. */
  audit?: AuditSink;
}): Promise<TestRiposte> {
  const { address, bundlePath } = suiteServer();
  quietRuntime();
  const dataDir = await mkdtemp(join(tmpdir(), 'riposte-data-'));
  const edl = new EdlFile(join(dataDir, 'edl.json'));
  const taskQueue = options.taskQueue ?? `test-${randomBytes(6).toString('hex')}`;
  const namespace = 'default';
  const { connection, close } = await connectClosably(address);
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const workers: Worker[] = await createRiposteWorkers({
    connection: nativeConnection,
    client,
    namespace,
    taskQueue,
    enforcementTaskQueue: `${taskQueue}-enforcement`,
    enforcementPoints: options.points?.(dataDir) ?? [createEdlEnforcer(edl)],
    maxEnforcementActionsPerSecond: options.policy.enforcement.maxActionsPerSecond,
    guard: guardOf(options.policy),
    notifiers: options.notifiers ?? [],
    responders: options.responders,
    geoip: await openDbipGeoIp(),
    workflowBundle: { codePath: bundlePath },
    audit: options.audit,
  });
  const running = workers.map((worker) => worker.run());
  return {
    client,
    taskQueue,
    blocks: blockShards({ client, taskQueue, enforcementTaskQueue: `${taskQueue}-enforcement` }),
    edl,
    dataDir,
    async stop() {
      for (const worker of workers) worker.shutdown();
      await Promise.all(running);
      await nativeConnection.close();
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A fresh documentation address per call (2001:db8::/32, random /64), so incidents and blocks of tests running side by
 * side on one server never share a workflow id.
 */
export function uniqueAddress(): string {
  const [a, b, c] = [randomBytes(2), randomBytes(2), randomBytes(2)].map((x) => x.readUInt16BE(0).toString(16));
  return canonicalIp(`2001:db8:${a}:${b}::${c}`).address;
}

/** A plain key, as from RIPOSTE_API_KEYS: role admin. Every startApi accepts it. */
export const TEST_API_KEY = 'test-key-0123456789abcdefghijklmnop';

/** A fresh random key and its principals-file entry. */
export function testKey(name: string, role: Role, extra: Partial<Omit<ApiKeySpec, 'name' | 'role' | 'sha256'>> = {}): { key: string; spec: ApiKeySpec; auth: Record<string, string> } {
  const key = `rip_test_${randomBytes(24).toString('base64url')}`;
  return { key, spec: { name, role, sha256: sha256Hex(key), ...extra }, auth: { authorization: `Bearer ${key}` } };
}

export interface TestApiOptions {
  feedToken?: string;
  maxBodyBytes?: number;
  coalesceWindowMs?: number;
  /** Keys accepted besides TEST_API_KEY. */
  keys?: ApiKeySpec[];
  webhookSecrets?: WebhookSecret[];
  /** Listen address; requests still go to 127.0.0.1 (a dual-stack `::` listener sees them as ::ffff:127.0.0.1). */
  host?: string;
  now?: () => number;
  /** The audit trail GET /v1/audit and the reports read; absent: they answer 503. */
  audit?: AuditReader;
}

export interface TestApi {
  url: string;
  /** fetch against the API with the test key unless `headers` says otherwise. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

/** The real Express app on an ephemeral loopback port, wired to the test workers' task queue and EDL file. */
export async function startApi(riposte: TestRiposte, policy: PolicySnapshot, options: TestApiOptions = {}): Promise<TestApi> {
  const app = createApp({
    client: riposte.client,
    taskQueue: riposte.taskQueue,
    enforcementTaskQueue: `${riposte.taskQueue}-enforcement`,
    apiKeys: [TEST_API_KEY, ...(options.keys ?? [])],
    webhookSecrets: options.webhookSecrets,
    now: options.now,
    feedToken: options.feedToken,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    coalesceWindowMs: options.coalesceWindowMs ?? 5,
    policy: () => policy,
    blocklist: riposte.edl,
    audit: options.audit,
    links: { consoleBase: 'http://riposte.test', temporalUiBase: 'http://temporal-ui.test' },
    log: () => undefined,
  });
  return serveApp(app, options.host);
}

/**
 * Workers and an API on one policy for the tests of a describe block (or a file): started before them, stopped after.
 * The fields are set once the block's `before` has run.
 */
export function riposteWithApi(policy: PolicySnapshot): { riposte: TestRiposte; api: TestApi } {
  const stack = {} as { riposte: TestRiposte; api: TestApi };
  before(async () => {
    stack.riposte = await startRiposte({ policy });
    stack.api = await startApi(stack.riposte, policy);
  });
  after(async () => {
    await stack.api?.close();
    await stack.riposte?.stop();
  });
  return stack;
}

/** An Express app on an ephemeral loopback port, called with the test key unless the headers say otherwise. */
export async function serveApp(app: ReturnType<typeof createApp>, host = '127.0.0.1'): Promise<TestApi> {
  const server = app.listen(0, host);
  await new Promise((ok) => server.once('listening', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call(method, path, body, headers = { authorization: `Bearer ${TEST_API_KEY}` }) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text, headers: response.headers };
    },
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** The Java time-skipping test server the suite found (the SDK's download otherwise), with Riposte's search attributes. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const path = process.env.RIPOSTE_TEST_TIME_SKIPPING_SERVER;
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
  await registerSearchAttributes(env.client, env.namespace ?? 'default');
  return env;
}
