import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { type CanonicalCidr, canonicalCidr } from '../../domain/ip.ts';
import { endpoint } from '../hosts/hostNames.ts';
import { VENDOR_REJECTED, vendorRequest, type VendorResponse } from '../vendorHttp.ts';
import { canonicalTarget, checkedBlock } from './blockTarget.ts';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';
import { groupCommit } from './groupCommit.ts';
import { enforcementPointDefinition } from './pointDefinition.ts';

const LABEL = 'crowdsec';
/** Every decision Riposte pushes carries this scenario and origin; Riposte lists and removes only those. */
export const CROWDSEC_SCENARIO = 'riposte/block';
export const CROWDSEC_ORIGIN = 'riposte';
// A token is renewed this long before the expiry the LAPI stated, so none expires on its way there.
const RENEW_MARGIN_MS = 60_000;
// The LAPI's JWTs last an hour; without a readable `expire` the token is kept no longer than that.
const UNSTATED_LIFETIME_MS = 55 * 60_000;
// The LAPI reports remaining durations rounded to the second (to the nanosecond before 1.5).
const SAME_EXPIRY_MS = 1_500;
const DEFAULT_ALERTS_PER_POST = 500;
// The LAPI refuses a login whose User-Agent is not exactly `name/version`, which it records as the machine's version.
const USER_AGENT = 'riposte/1';
const PARALLEL_DELETES = 8;

export interface CrowdsecEnforcerOptions {
  /** The Local API's base URL, e.g. http://127.0.0.1:8080 (the path `/v1/...` is added). */
  lapiUrl: string;
  /** A machine (watcher) registered with `cscli machines add`: bouncer keys can only read decisions. */
  machineId: string;
  /** A secret: sent to the login endpoint only, never logged. */
  password: string;
  allowlist: readonly CanonicalCidr[];
  /** Alerts carried by one `POST /v1/alerts`; default 500. */
  alertsPerPost?: number;
  timeoutMs?: number;
}

/** A decision as `GET /v1/alerts` returns it (pkg/models Decision); `duration` is what remains, as Go prints it. */
export interface LapiDecision {
  id?: number;
  origin?: string;
  type?: string;
  scope?: string;
  value?: string;
  duration?: string;
  scenario?: string;
}

/** One of Riposte's active decisions at the LAPI. */
export interface HeldDecision {
  id: number;
  address: string;
  expiresAt: number;
}

const GO_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go `time.Duration` string (`1h2m3.5s`, `-74.5ms`, `0s`), or undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const match = text.match(/^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/);
  if (!match) return text === '0' ? 0 : undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(amount) * GO_UNITS_MS[unit!]!;
  return match[1] === '-' ? -ms : ms;
}

/** Riposte's active decisions among `GET /v1/alerts` results: its scenario and origin, a ban, time left, a canonical value. */
export function riposteDecisions(alerts: unknown, now: number): HeldDecision[] {
  if (!Array.isArray(alerts)) return [];
  const held: HeldDecision[] = [];
  for (const alert of alerts as Array<{ decisions?: LapiDecision[] | null } | null>) {
    for (const decision of alert?.decisions ?? []) {
      if (decision.scenario !== CROWDSEC_SCENARIO || decision.origin !== CROWDSEC_ORIGIN || decision.type !== 'ban') continue;
      const left = parseGoDuration(decision.duration ?? '');
      if (left === undefined || left <= 0 || typeof decision.id !== 'number' || typeof decision.value !== 'string') continue;
      let address: string;
      try {
        address = canonicalCidr(decision.value).text;
      } catch {
        continue;
      }
      held.push({ id: decision.id, address, expiresAt: Math.round(now + left) });
    }
  }
  return held;
}

/**
 * The alert that carries one block (pkg/models Alert, as `cscli decisions add` builds it): a `ban` of scope `Ip` or
 * `Range`. The LAPI sets a decision's end to the alert's `stop_at` plus its `duration`, so `stop_at` is placed that
 * many whole seconds before the expiry and the decision ends at the expiry asked, to the millisecond.
 */
export function alertFor(target: CanonicalCidr, expiresAt: number, now: number): Record<string, unknown> {
  const seconds = Math.max(1, Math.ceil((expiresAt - now) / 1000));
  const stopAt = new Date(expiresAt - seconds * 1000).toISOString();
  const scope = target.text.includes('/') ? 'Range' : 'Ip';
  const message = `Riposte blocks ${target.text} until ${new Date(expiresAt).toISOString()}`;
  return {
    scenario: CROWDSEC_SCENARIO,
    scenario_hash: '',
    scenario_version: '',
    message,
    events_count: 1,
    start_at: stopAt,
    stop_at: stopAt,
    capacity: 0,
    leakspeed: '0',
    simulated: false,
    events: [],
    source: { scope, value: target.text, ...(scope === 'Ip' ? { ip: target.text } : { range: target.text }) },
    decisions: [{ origin: CROWDSEC_ORIGIN, type: 'ban', scope, value: target.text, duration: `${seconds}s`, scenario: CROWDSEC_SCENARIO }],
  };
}

interface Operation {
  target: CanonicalCidr;
  /** Absent for a removal. */
  expiresAt?: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Pushes Riposte's blocks to a CrowdSec Local API as decisions, so every bouncer that reads that LAPI enforces them.
 * Riposte logs in as a machine (`POST /v1/watchers/login`, a JWT renewed before its expiry and on a 401), pushes an
 * alert per block carrying one `ban` decision (`POST /v1/alerts`), and lifts a block by expiring its decisions
 * (`DELETE /v1/decisions?value=…&scenario=riposte/block`, which leaves decisions of CrowdSec's own scenarios alone).
 * A changed expiry pushes a new decision first, then expires the old one by id, so the address is never unbanned in
 * between: a streaming bouncer is given the longest decision per address and is told of no deletion while the new one
 * outlasts the old, and a bouncer in live mode always finds one.
 */
export function createCrowdsecEnforcer(options: CrowdsecEnforcerOptions): EnforcementPoint {
  const url = (path: string, query: Record<string, string> = {}) => endpoint(options.lapiUrl, path, query);
  let session: { token: string; renewAt: number } | undefined;
  let loggingIn: Promise<string> | undefined;

  async function login(): Promise<string> {
    const { body } = await vendorRequest<{ token?: unknown; expire?: unknown }>({
      label: LABEL, method: 'POST', url: url('/v1/watchers/login'), headers: { 'user-agent': USER_AGENT }, body: { machine_id: options.machineId, password: options.password }, timeoutMs: options.timeoutMs,
    });
    if (typeof body?.token !== 'string' || !body.token) throw ApplicationFailure.create({ message: `${LABEL} answered the login without a token`, type: VENDOR_REJECTED, nonRetryable: true });
    const expire = typeof body.expire === 'string' ? Date.parse(body.expire) : Number.NaN;
    session = { token: body.token, renewAt: Number.isNaN(expire) ? Date.now() + UNSTATED_LIFETIME_MS : expire - RENEW_MARGIN_MS };
    return body.token;
  }

  function token(): Promise<string> {
    if (session && Date.now() < session.renewAt) return Promise.resolve(session.token);
    // Concurrent calls share one login.
    loggingIn ??= login().finally(() => { loggingIn = undefined; });
    return loggingIn;
  }

  async function call<T>(method: 'GET' | 'POST' | 'DELETE', target: URL, body?: unknown): Promise<VendorResponse<T>> {
    const send = async () => vendorRequest<T>({ label: LABEL, method, url: target, body, headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${await token()}` }, accept: [401], timeoutMs: options.timeoutMs });
    let res = await send();
    // A restarted LAPI signs with a new secret (unless CS_LAPI_SECRET is set), so a token can die before its expiry.
    if (res.status === 401) {
      session = undefined;
      res = await send();
    }
    if (res.status === 401) throw ApplicationFailure.create({ message: `${LABEL} answered 401 to ${method} with a fresh token`, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status: 401 }] });
    return res;
  }

  async function held(): Promise<HeldDecision[]> {
    const { body } = await call<unknown>('GET', url('/v1/alerts', { scenario: CROWDSEC_SCENARIO, has_active_decision: 'true', limit: '0' }));
    return riposteDecisions(body, Date.now());
  }

  /** Runs `task` over `items`, a few at a time: one LAPI, one SQLite writer behind it. */
  async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await task(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DELETES, items.length) }, worker));
  }

  /** One batch: each target ends as its last call in the batch left it. Settles every operation. */
  async function sync(ops: Operation[]): Promise<void> {
    const last = new Map<string, Operation>();
    for (const op of ops) last.set(op.target.text, op);
    const outcome = new Map<string, unknown>();
    const now = Date.now();
    const applies = [...last.values()].filter((op) => op.expiresAt !== undefined && op.expiresAt > now);
    const removals = [...last.values()].filter((op) => !applies.includes(op));

    if (applies.length > 0) {
      try {
        await apply(applies, outcome);
      } catch (err) {
        for (const op of applies) if (!outcome.has(op.target.text)) outcome.set(op.target.text, err);
      }
    }
    await inParallel(removals, async (op) => {
      try {
        await call('DELETE', url('/v1/decisions', { value: op.target.text, scenario: CROWDSEC_SCENARIO }));
      } catch (err) {
        outcome.set(op.target.text, err);
      }
    });
    for (const op of ops) {
      const err = outcome.get(op.target.text);
      if (err === undefined) op.resolve();
      else op.reject(err);
    }
  }

  async function apply(applies: Operation[], outcome: Map<string, unknown>): Promise<void> {
    const before = new Map<string, HeldDecision[]>();
    for (const decision of await held()) before.set(decision.address, [...(before.get(decision.address) ?? []), decision]);
    const now = Date.now();
    const fresh: Operation[] = [];
    const replaced: HeldDecision[] = [];
    for (const op of applies) {
      const existing = before.get(op.target.text) ?? [];
      const same = existing.find((decision) => Math.abs(decision.expiresAt - op.expiresAt!) <= SAME_EXPIRY_MS);
      if (!same) fresh.push(op);
      replaced.push(...existing.filter((decision) => decision !== same));
    }
    const chunk = Math.max(1, Math.floor(options.alertsPerPost ?? DEFAULT_ALERTS_PER_POST));
    let stored = 0;
    for (let i = 0; i < fresh.length; i += chunk) {
      const part = fresh.slice(i, i + chunk);
      try {
        const { body } = await call<unknown>('POST', url('/v1/alerts'), part.map((op) => alertFor(op.target, op.expiresAt!, now)));
        stored += Array.isArray(body) ? body.length : 0;
      } catch (err) {
        for (const op of part) outcome.set(op.target.text, err);
      }
    }
    const posted = fresh.filter((op) => !outcome.has(op.target.text));
    if (stored < posted.length) {
      // The LAPI skips an alert whose source its own allowlists cover (1.6 and later) and answers 201 all the same.
      const present = new Set((await held()).map((decision) => decision.address));
      for (const op of posted) {
        if (!present.has(op.target.text)) outcome.set(op.target.text, ApplicationFailure.create({ message: `${LABEL} did not store the decision for ${op.target.text} (a CrowdSec allowlist?)`, type: VENDOR_REJECTED, nonRetryable: true }));
      }
    }
    const failed = new Set(outcome.keys());
    await inParallel(replaced.filter((decision) => !failed.has(decision.address)), async (decision) => {
      try {
        await call('DELETE', url(`/v1/decisions/${decision.id}`));
      } catch (err) {
        outcome.set(decision.address, err);
      }
    });
  }

  // Group commit: calls that arrive while a batch is under way wait and share the next one; sync settles each call.
  const batched = groupCommit<Operation>({ commit: sync });
  const enqueue = (target: CanonicalCidr, expiresAt?: number) => batched({ target, expiresAt });

  return {
    name: 'crowdsec',

    async apply({ address, expiresAt }: BlockTarget) {
      const target = checkedBlock({ address, expiresAt }, options.allowlist);
      return enqueue(target, expiresAt);
    },

    async remove(address: string) {
      return enqueue(canonicalTarget(address));
    },

    async list() {
      // An apply whose clean-up failed leaves two decisions for one address: the longest is the one in force.
      const longest = new Map<string, number>();
      for (const { address, expiresAt } of await held()) longest.set(address, Math.max(expiresAt, longest.get(address) ?? 0));
      return [...longest].map(([address, expiresAt]) => ({ address, expiresAt }));
    },
  };
}

export const crowdsecPoint = enforcementPointDefinition({
  name: 'crowdsec',
  description: 'decisions pushed to a CrowdSec Local API as a machine, for every bouncer that reads it',
  settings: z.object({
    CROWDSEC_LAPI_URL: z.url({ protocol: /^https?$/ }),
    CROWDSEC_MACHINE_ID: z.string().min(1),
    CROWDSEC_MACHINE_PASSWORD: z.string().min(1).meta({ secret: true }),
  }),
  create: (settings, { allowlist }) => createCrowdsecEnforcer({
    lapiUrl: settings.CROWDSEC_LAPI_URL, machineId: settings.CROWDSEC_MACHINE_ID, password: settings.CROWDSEC_MACHINE_PASSWORD, allowlist,
  }),
});
