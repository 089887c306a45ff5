/**
 * The CrowdSec point against the real Local API of the Debian `crowdsec` package, run here as `crowdsec -no-cs` (the
 * LAPI alone) on SQLite in a scratch directory, with a machine and a bouncer made by `cscli`. What a bouncer would
 * enforce is read as bouncers read it: `GET /v1/decisions` and `/v1/decisions/stream` with the bouncer's key.
 * Skipped when crowdsec and cscli are not installed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CROWDSEC_ORIGIN, CROWDSEC_SCENARIO, createCrowdsecEnforcer, parseGoDuration } from '../../activities/enforce/crowdsecEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { freePort } from '../../runtime/freePort.ts';

const MACHINE = 'riposte-test';

function installed(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

const skip = installed('crowdsec') && installed('cscli') ? false : 'needs the crowdsec package (crowdsec and cscli)';

interface BouncerDecision { id: number; origin: string; scenario: string; scope: string; type: string; value: string; duration: string }

/** The LAPI in a scratch directory: its config, database, machine, bouncer key and process. */
class Lapi {
  readonly password = randomBytes(16).toString('hex');
  bouncerKey = '';
  url = '';
  private process?: ChildProcess;
  private output = '';

  private constructor(readonly dir: string) {}

  static async create(): Promise<Lapi> {
    const lapi = new Lapi(await mkdtemp(join(tmpdir(), 'riposte-crowdsec-')));
    lapi.url = `http://127.0.0.1:${await freePort()}`;
    await lapi.writeConfig();
    await lapi.cscli('machines', 'add', MACHINE, '--password', lapi.password, '-f', join(lapi.dir, 'machine.yaml'));
    lapi.bouncerKey = (await lapi.cscli('bouncers', 'add', 'riposte-test-bouncer', '-o', 'raw')).trim();
    await lapi.start();
    return lapi;
  }

  private async writeConfig(): Promise<void> {
    const dir = this.dir;
    // The LAPI alone: no agent, no hub, no Central API; profiles apply only to alerts without decisions, so none here.
    await writeFile(join(dir, 'config.yaml'), [
      'common: { daemonize: false, log_media: stdout, log_level: info }',
      `config_paths: { config_dir: ${dir}/, data_dir: ${dir}/, hub_dir: ${dir}/hub/, index_path: ${dir}/hub/.index.json }`,
      `db_config: { type: sqlite, db_path: ${dir}/crowdsec.db, use_wal: true }`,
      'api:',
      `  client: { credentials_path: ${dir}/machine.yaml }`,
      `  server: { listen_uri: ${new URL(this.url).host}, profiles_path: ${dir}/profiles.yaml }`,
      '',
    ].join('\n'));
    await writeFile(join(dir, 'profiles.yaml'), 'name: default\nfilters: ["Alert.Remediation == true"]\ndecisions: [{ type: ban, duration: 4h }]\non_success: break\n');
  }

  cscli(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('cscli', ['-c', join(this.dir, 'config.yaml'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`cscli ${args[0]} ${args[1]}: ${stderr || err.message}`)) : resolve(stdout)));
    });
  }

  async start(): Promise<void> {
    const child = spawn('crowdsec', ['-c', join(this.dir, 'config.yaml'), '-no-cs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    const collect = (chunk: Buffer) => { this.output = (this.output + chunk.toString()).slice(-4_000); };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`crowdsec exited (${child.exitCode}): ${this.output}`);
      const answered = await fetch(`${this.url}/v1/watchers/login`, { method: 'POST', body: '{}' }).then(() => true, () => false);
      if (answered) return;
      await sleep(100);
    }
    throw new Error(`the LAPI did not answer within 20 s: ${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** What a bouncer is given: `GET /v1/decisions` (the longest decision per value), optionally for one address. */
  async decisions(query: Record<string, string> = {}): Promise<BouncerDecision[]> {
    const res = await fetch(`${this.url}/v1/decisions?${new URLSearchParams(query)}`, { headers: { 'x-api-key': this.bouncerKey } });
    assert.equal(res.status, 200);
    return ((await res.json()) as BouncerDecision[] | null) ?? [];
  }

  async stream(startup: boolean): Promise<{ new: BouncerDecision[]; deleted: BouncerDecision[] }> {
    const res = await fetch(`${this.url}/v1/decisions/stream?startup=${startup}`, { headers: { 'x-api-key': this.bouncerKey } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { new: BouncerDecision[] | null; deleted: BouncerDecision[] | null };
    return { new: body.new ?? [], deleted: body.deleted ?? [] };
  }
}

/** Milliseconds left on a decision as the bouncer sees it. */
const left = (decision: BouncerDecision | undefined) => parseGoDuration(decision?.duration ?? '') ?? Number.NaN;

describe('CrowdSec point against the real Local API', { skip }, () => {
  let lapi: Lapi;
  let enforcer: EnforcementPoint;
  const make = (allowlist: string[] = ['192.0.2.1']) => createCrowdsecEnforcer({ lapiUrl: lapi.url, machineId: MACHINE, password: lapi.password, allowlist: allowlist.map(canonicalCidr) });
  const entries = async (address: string) => (await enforcer.list()).filter((target) => target.address === address);

  before(async () => {
    lapi = await Lapi.create();
    enforcer = make();
  });

  after(async () => {
    await lapi?.close();
  });

  it('a block becomes a ban decision that bouncers are given, with Riposte\'s scenario and origin and the time left', async () => {
    await lapi.stream(true);
    const expiresAt = Date.now() + 3_600_000;
    await enforcer.apply({ address: '192.0.2.7', expiresAt });
    const [decision, ...others] = await lapi.decisions({ ip: '192.0.2.7' });
    assert.deepEqual(others, []);
    assert.deepEqual({ ...decision, id: 0, duration: '' }, { id: 0, duration: '', origin: CROWDSEC_ORIGIN, scenario: CROWDSEC_SCENARIO, scope: 'Ip', type: 'ban', value: '192.0.2.7' });
    assert.ok(Math.abs(Date.now() + left(decision) - expiresAt) < 2_000, `the bouncer's duration ${decision?.duration} is off`);
    assert.deepEqual((await lapi.stream(false)).new.map((d) => d.value), ['192.0.2.7'], 'a streaming bouncer is told of it');

    const [listed] = await entries('192.0.2.7');
    assert.ok(listed && Math.abs(listed.expiresAt - expiresAt) < 2_000, JSON.stringify(listed));
  });

  it('cscli shows the decision to an operator', async () => {
    const shown = JSON.parse(await lapi.cscli('decisions', 'list', '-a', '-o', 'json')) as Array<{ decisions: BouncerDecision[] }>;
    assert.ok(shown.some((alert) => alert.decisions.some((d) => d.value === '192.0.2.7' && d.origin === CROWDSEC_ORIGIN)), JSON.stringify(shown));
  });

  it('the same block again pushes nothing new; a later or earlier expiry is what bouncers are given next', async () => {
    const alerts = async () => JSON.parse(await lapi.cscli('alerts', 'list', '-a', '-o', 'json')) as unknown[];
    const count = (await alerts()).length;
    const [current] = await entries('192.0.2.7');
    await enforcer.apply({ address: '192.0.2.7', expiresAt: current!.expiresAt });
    assert.equal((await alerts()).length, count, 'no second alert for the same expiry');

    const later = Date.now() + 7_200_000;
    await enforcer.apply({ address: '192.0.2.7', expiresAt: later });
    let given = await lapi.decisions({ ip: '192.0.2.7' });
    assert.equal(given.length, 1);
    assert.ok(Math.abs(Date.now() + left(given[0]) - later) < 2_000, `extended to ${given[0]?.duration}`);
    assert.deepEqual((await entries('192.0.2.7')).length, 1);

    const sooner = Date.now() + 600_000;
    await enforcer.apply({ address: '192.0.2.7', expiresAt: sooner });
    given = await lapi.decisions({ ip: '192.0.2.7' });
    assert.ok(Math.abs(Date.now() + left(given[0]) - sooner) < 2_000, `shortened to ${given[0]?.duration}: the longer decision must be gone`);
    const listed = await entries('192.0.2.7');
    assert.equal(listed.length, 1);
    assert.ok(Math.abs(listed[0]!.expiresAt - sooner) < 2_000);
  });

  it('remove takes the decision away from bouncers, and removing twice is harmless', async () => {
    await lapi.stream(false);
    await enforcer.remove('192.0.2.7');
    assert.deepEqual(await lapi.decisions({ ip: '192.0.2.7' }), []);
    assert.deepEqual((await lapi.stream(false)).deleted.map((d) => d.value), ['192.0.2.7'], 'a streaming bouncer is told to lift it');
    await enforcer.remove('192.0.2.7');
    assert.deepEqual(await entries('192.0.2.7'), []);
  });

  it('ranges and IPv6 go as scope Range and Ip; a bouncer asking for an address inside a range is given it', async () => {
    const expiresAt = Date.now() + 600_000;
    await Promise.all(['203.0.113.0/24', '2001:db8:1::/64', '2001:db8::7'].map((address) => enforcer.apply({ address, expiresAt })));
    assert.deepEqual((await lapi.decisions({ ip: '203.0.113.9' })).map((d) => [d.scope, d.value]), [['Range', '203.0.113.0/24']]);
    assert.deepEqual((await lapi.decisions({ ip: '2001:db8:1::42' })).map((d) => [d.scope, d.value]), [['Range', '2001:db8:1::/64']]);
    assert.deepEqual((await lapi.decisions({ ip: '2001:db8::7' })).map((d) => [d.scope, d.value]), [['Ip', '2001:db8::7']]);
    assert.deepEqual((await enforcer.list()).map((t) => t.address).sort(), ['2001:db8:1::/64', '2001:db8::7', '203.0.113.0/24']);
    await Promise.all(['203.0.113.0/24', '2001:db8:1::/64', '2001:db8::7'].map((address) => enforcer.remove(address)));
    assert.deepEqual(await lapi.decisions(), []);
  });

  it('an unblock leaves CrowdSec\'s own decision on the same address in place, and lists only Riposte\'s', async () => {
    await lapi.cscli('decisions', 'add', '--ip', '198.51.100.44', '--duration', '1h', '--reason', 'ssh-bf seen by the agent');
    await enforcer.apply({ address: '198.51.100.44', expiresAt: Date.now() + 600_000 });
    await enforcer.remove('198.51.100.44');
    assert.deepEqual((await lapi.decisions({ ip: '198.51.100.44' })).map((d) => d.origin), ['cscli']);
    assert.deepEqual(await enforcer.list(), [], 'the cscli decision is not Riposte\'s');
    await lapi.cscli('decisions', 'delete', '--ip', '198.51.100.44');
  });

  it('an expiry already past lifts the block', async () => {
    await enforcer.apply({ address: '192.0.2.8', expiresAt: Date.now() + 600_000 });
    await enforcer.apply({ address: '192.0.2.8', expiresAt: Date.now() - 1_000 });
    assert.deepEqual(await lapi.decisions({ ip: '192.0.2.8' }), []);
  });

  it('refuses allowlisted and non-canonical targets before anything reaches the LAPI', async () => {
    const guarded = make(['192.0.2.64/26']);
    for (const address of ['192.0.2.66', '192.0.2.0/24']) {
      await assert.rejects(guarded.apply({ address, expiresAt: Date.now() + 600_000 }), { type: 'AllowlistViolation', nonRetryable: true });
    }
    for (const address of ['::ffff:192.0.2.9', '010.0.0.1', '192.0.2.9/32', '203.0.113.9/24', '192.0.2.9&scenario=x', '']) {
      await assert.rejects(enforcer.apply({ address, expiresAt: Date.now() + 600_000 }), { type: 'InvalidAddress', nonRetryable: true });
      await assert.rejects(enforcer.remove(address), { type: 'InvalidAddress' });
    }
    assert.deepEqual(await lapi.decisions(), []);
  });

  it('logs in again when the LAPI restarts with a new signing secret, and the decisions are still there', async () => {
    await enforcer.apply({ address: '192.0.2.9', expiresAt: Date.now() + 600_000 });
    await lapi.stop();
    await lapi.start();
    await enforcer.apply({ address: '192.0.2.10', expiresAt: Date.now() + 600_000 });
    assert.deepEqual((await lapi.decisions()).map((d) => d.value).sort(), ['192.0.2.10', '192.0.2.9']);
    await Promise.all(['192.0.2.9', '192.0.2.10'].map((address) => enforcer.remove(address)));
  });

  it('a wrong password is a final refusal that names no secret', async () => {
    const wrong = createCrowdsecEnforcer({ lapiUrl: lapi.url, machineId: MACHINE, password: 'not-the-password', allowlist: [] });
    await assert.rejects(wrong.apply({ address: '192.0.2.11', expiresAt: Date.now() + 600_000 }), (err: Error & { type?: string; nonRetryable?: boolean }) => {
      assert.equal(err.type, 'VendorRejected');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /^crowdsec answered 401 to POST/);
      assert.ok(!err.message.includes('not-the-password'));
      return true;
    });
  });

  it('500 concurrent blocks all reach bouncers with their expiry, and 500 unblocks lift them all', async () => {
    const addresses = Array.from({ length: 500 }, (_, i) => (i < 250 ? `198.51.100.${i + 1}` : `203.0.113.${i - 249}`));
    const expiresAt = Date.now() + 600_000;
    const started = performance.now();
    await Promise.all(addresses.map((address) => enforcer.apply({ address, expiresAt })));
    console.log(`500 concurrent CrowdSec applies: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal((await lapi.decisions()).length, 500);
    const listed = await enforcer.list();
    assert.deepEqual(new Set(listed.map((t) => t.address)), new Set(addresses));
    assert.ok(listed.every((t) => Math.abs(t.expiresAt - expiresAt) < 2_000));
    const removing = performance.now();
    await Promise.all(addresses.map((address) => enforcer.remove(address)));
    console.log(`500 concurrent CrowdSec removes: ${(performance.now() - removing).toFixed(0)} ms`);
    assert.deepEqual(await lapi.decisions(), []);
  });
});
