import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canonicalCidr } from '../../domain/ip.ts';
import { assertNoStack, cli, projectDir } from '../support/cli.ts';
import { eventually, startApi, startRiposte, suiteServer, TEST_API_KEY, testKey, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

async function inPairs<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += 2) results.push(...await Promise.all(tasks.slice(i, i + 2).map((task) => task())));
  return results;
}

function closedPort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

describe('the riposte CLI against the real API and workers', () => {
  const policy = testPolicy({
    allowlist: ['2001:db8:a12::/48'],
    playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '10m', reviewWindow: '1m', notify: [] } },
  });
  // The CLI acts as a named responder; the principal recorded must be this name, taken from the key.
  const alice = testKey('alice', 'responder');
  const bob = testKey('bob', 'responder');
  const victor = testKey('victor', 'viewer');
  // Alerts sent through twoPersonApi start incidents whose blocks need two people's approval.
  const twoPerson = testPolicy({ approvals: { block: 2 }, playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '10m', reviewWindow: '1m', notify: [] } } });
  let riposte: TestRiposte;
  let api: TestApi;
  let twoPersonApi: TestApi;
  let scratch: string;
  /** The environment an operator sets; the data dir is empty, so no development key is picked up by accident. */
  let env: Record<string, string>;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: [alice.spec, bob.spec, victor.spec] });
    twoPersonApi = await startApi(riposte, twoPerson);
    scratch = await mkdtemp(join(tmpdir(), 'riposte-cli-'));
    env = { RIPOSTE_URL: api.url, RIPOSTE_API_KEY: alice.key, RIPOSTE_DATA_DIR: join(scratch, 'empty') };
  });
  after(async () => {
    await api?.close();
    await twoPersonApi?.close();
    await riposte?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  async function incidentAwaitingApproval(via = api): Promise<{ ip: string; id: string }> {
    const ip = uniqueAddress();
    const posted = await via.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 });
    assert.equal(posted.status, 202);
    const id = `brute-force:${ip}`;
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' ? true : undefined));
    return { ip, id };
  }
  const incident = async (id: string) => (await api.call('GET', `/v1/incidents/${id}`)).json;
  const inFeed = async (ip: string) => (await api.call('GET', '/v1/feeds/blocklist.txt')).text.split('\n').includes(ip);

  test('approve → contained, with the key\'s principal as the approver; a second approve is refused with exit 1', async () => {
    const { ip, id } = await incidentAwaitingApproval();
    const approved = await cli(['approve', id, '--comment', 'confirmed from the terminal', '--json'], env);
    assert.equal(approved.code, 0, approved.stderr);
    const answer = JSON.parse(approved.stdout);
    assert.equal(answer.id, id);
    assert.equal(answer.by, 'alice');

    const state = await eventually('contained', async () => {
      const s = await incident(id);
      return s.status === 'contained' ? s : undefined;
    });
    assert.equal(state.approval.by, 'alice', 'the approver is the principal of the key the CLI used');
    assert.equal(state.approval.comment, 'confirmed from the terminal');
    await eventually('the address in the feed', async () => ((await inFeed(ip)) ? true : undefined));

    const again = await cli(['approve', id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'error: incident is contained, not awaiting approval');
    assertNoStack(again);
    await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  test('verdict false_positive on a contained incident lifts its block; a second verdict is refused with exit 1', async () => {
    const { ip, id } = await incidentAwaitingApproval();
    assert.equal((await cli(['approve', id], env)).code, 0);
    await eventually('the address in the feed', async () => ((await inFeed(ip)) ? true : undefined));
    const verdict = await cli(['verdict', id, 'false_positive', '--comment', 'our own scanner'], env);
    assert.equal(verdict.code, 0, verdict.stderr);
    assert.equal(verdict.stdout, `false_positive recorded on ${id} (as alice)\n`);
    await eventually('the address out of the feed', async () => ((await inFeed(ip)) ? undefined : true));
    assert.equal((await incident(id)).status, 'reverted');
    const again = await cli(['verdict', id, 'true_positive'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: incident already has the verdict false_positive from alice/);
    assertNoStack(again);
  });

  test('reject → rejected and nothing blocked; the plain output names the actor', async () => {
    const { ip, id } = await incidentAwaitingApproval();
    const rejected = await cli(['reject', id, '--reason', 'our pentest'], env);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, new RegExp(`^rejected ${id} \\(as alice\\)\\n$`));
    const state = await eventually('rejected', async () => {
      const s = await incident(id);
      return s.status === 'rejected' ? s : undefined;
    });
    assert.equal(state.approval.decision, 'rejected');
    assert.equal(state.approval.comment, 'our pentest');
    assert.equal(await riposte.blocks.read(ip), null, 'nothing blocked');
  });

  test('pause and resume, with 409s as clear errors; status shows the summary and the timeline', async () => {
    const { id } = await incidentAwaitingApproval();
    const paused = await cli(['pause', id, '--reason', 'checking with the owner'], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^paused brute-force:/);
    await eventually('paused', async () => ((await incident(id)).paused ? true : undefined));

    const twice = await cli(['pause', id], env);
    assert.equal(twice.code, 1);
    assert.equal(twice.stderr.trim(), 'error: incident is already paused');

    const resumed = await cli(['resume', id], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    await eventually('resumed', async () => ((await incident(id)).paused ? undefined : true));

    const status = await cli(['status', id], env);
    assert.equal(status.code, 0, status.stderr);
    const out = status.stdout;
    assert.match(out, new RegExp(`^${id}\\n`));
    assert.match(out, /^ {2}status {6}awaiting_approval$/m);
    assert.match(out, /^ {2}mode {8}approve, policy test-/m);
    assert.match(out, /^ {2}alerts {6}12 counted in 1 alert\(s\), 1 signal\(s\); max severity/m);
    assert.match(out, /^ {2}plan {8}block .+ for 1h$/m);
    assert.match(out, /^timeline$/m);
    // The detail starts with why approval is needed (e.g. the playbook's mode), then the timeout.
    assert.match(out, /^ {2}\S+Z {2}status:awaiting_approval\s+(?:.+; )?times out in 10m$/m);
    assert.match(out, /^ {2}\S+Z {2}paused\s+checking with the owner {2}\(by alice\)$/m);
    assert.match(out, /^ {2}\S+Z {2}resumed\s+\(by alice\)$/m);

    const json = await cli(['status', id, '--json'], env);
    assert.equal(json.code, 0);
    const raw = JSON.parse(json.stdout);
    assert.equal(raw.id, id);
    assert.ok(raw.timeline.some((e: { event: string }) => e.event === 'resumed'));

    const missing = await cli(['status', 'brute-force:192.0.2.254'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'error: no incident brute-force:192.0.2.254');
    await cli(['reject', id], env);
  });

  test('enforcement: nothing before reconcile has run; then each point\'s share, exit 1 while one is short', async () => {
    const none = await cli(['enforcement'], env);
    assert.deepEqual([none.code, none.stdout], [0, 'no reconcile has run yet\n']);
    const ip = uniqueAddress();
    assert.equal((await cli(['block', ip, '--reason', 'reconcile check'], env)).code, 0);
    await eventually('the block held', async () => ((await riposte.blocks.read(ip))?.state === 'active' ? true : undefined));
    const cycle = (workflowId: string) => riposte.client.workflow.execute('reconcileWorkflow', {
      workflowId, taskQueue: riposte.taskQueue, args: [{ points: ['edl'], enforcementTaskQueue: `${riposte.taskQueue}-enforcement`, notify: [] }],
    });
    await riposte.edl.remove(ip);
    await cycle(`reconcile-cli-${randomBytes(3).toString('hex')}`);
    const short = await cli(['enforcement'], env);
    assert.equal(short.code, 1, short.stdout);
    assert.match(short.stdout, /^POINT +ENFORCED +LIVE BLOCKS +PUT BACK +CYCLES SHORT +AT$/m);
    assert.match(short.stdout, /^edl +\d+\.\d % +\d+ +1 +1 +\S+Z$/m);
    assert.match(short.stderr, /an enforcement point holds less than every live block/);
    assert.ok(await inFeed(ip), 'put back in the feed');
    await cycle(`reconcile-cli-${randomBytes(3).toString('hex')}`);
    const whole = await cli(['enforcement'], env);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /^edl +100\.0 % +\d+ +0 +0 +\S+Z$/m);
    assert.equal(JSON.parse((await cli(['enforcement', '--json'], env)).stdout).edl.cyclesBelow, 0);
    assert.equal((await cli(['unblock', ip], env)).code, 0);
  });

  test('block → in the feed and in `blocks`; unblock → gone; the incidents list', async () => {
    const ip = uniqueAddress();
    const blocked = await cli(['block', ip.toUpperCase(), '--duration', '2h', '--reason', 'manual: scanning'], env);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stdout, new RegExp(`^blocking ${ip} until \\S+Z \\(as alice\\)\\n$`));
    await eventually('the address in the feed', async () => ((await inFeed(ip)) ? true : undefined));
    const view = await riposte.blocks.read(ip);
    assert.deepEqual([view?.reason, view?.requestedBy, view?.leases.map((l) => l.requester)], ['manual: scanning', 'alice', ['alice']]);

    await eventually('listed active', async () => ((await api.call('GET', '/v1/blocks')).json.blocks.some((b: { address: string; state: string }) => b.address === ip && b.state === 'active') ? true : undefined));
    const listed = await cli(['blocks'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ADDRESS +STATE +EXPIRES +SINCE$/m);
    assert.match(listed.stdout, new RegExp(`^${ip} +active +\\S+Z +\\S+Z$`, 'm'));
    const json = JSON.parse((await cli(['blocks', '--json'], env)).stdout);
    assert.ok(json.blocks.some((b: { address: string }) => b.address === ip));

    const unblocked = await cli(['unblock', ip, '--reason', 'owner confirmed'], env);
    assert.equal(unblocked.code, 0, unblocked.stderr);
    assert.match(unblocked.stdout, new RegExp(`^unblocking ${ip} \\(as alice\\)\\n$`));
    await eventually('the address gone from the feed', async () => ((await inFeed(ip)) ? undefined : true));
    await eventually('no longer listed', async () => ((await api.call('GET', '/v1/blocks')).json.blocks.some((b: { address: string }) => b.address === ip) ? undefined : true));
    assert.ok(!(await cli(['blocks'], env)).stdout.includes(`${ip} `));
    const again = await cli(['unblock', ip], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), `error: ${ip} is not blocked`);

    const { id, ip: ip2 } = await incidentAwaitingApproval();
    await eventually('the incident listed', async () => ((await api.call('GET', `/v1/incidents?status=awaiting_approval&entity=${ip2}`)).json.incidents.length > 0 ? true : undefined));
    const incidents = await cli(['incidents', '--status', 'awaiting_approval', '--entity', ip2], env);
    assert.equal(incidents.code, 0, incidents.stderr);
    assert.match(incidents.stdout, /^ID +STATUS +SEVERITY +STATE +STARTED$/m);
    assert.match(incidents.stdout, new RegExp(`^${id} +awaiting_approval +\\d+ +open +\\S+Z$`, 'm'));
    const badStatus = await cli(['incidents', '--status', 'sleeping'], env);
    assert.equal(badStatus.code, 1);
    assert.match(badStatus.stderr, /^error: invalid query\n {2}query\.status: /);
    await cli(['reject', id], env);
  });

  test('a range passes through block, blocks and unblock; a wide one waits for approval as an incident, host bits are refused', async () => {
    const range = canonicalCidr(`${uniqueAddress()}/64`).text;
    const blocked = await cli(['block', range.toUpperCase(), '--duration', '1h', '--reason', 'rotating within its /64'], env);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.match(blocked.stdout, new RegExp(`^blocking ${range} until \\S+Z \\(as alice\\)\\n$`));
    await eventually('the range in the feed', async () => ((await inFeed(range)) ? true : undefined));
    await eventually('listed active', async () => ((await api.call('GET', '/v1/blocks')).json.blocks.some((b: { address: string; state: string }) => b.address === range && b.state === 'active') ? true : undefined));
    assert.match((await cli(['blocks'], env)).stdout, new RegExp(`^${range} +active +\\S+Z +\\S+Z$`, 'm'));

    const unblocked = await cli(['unblock', range, '--reason', 'done'], env);
    assert.equal(unblocked.code, 0, unblocked.stderr);
    assert.equal(unblocked.stdout, `unblocking ${range} (as alice)\n`);
    await eventually('the range gone from the feed', async () => ((await inFeed(range)) ? undefined : true));

    const wide = await cli(['block', '2001:db8:ff00::/40', '--reason', 'whole provider'], env);
    assert.equal(wide.code, 0, wide.stderr);
    assert.equal(wide.stdout, '2001:db8:ff00::/40 is wider than /48: it is blocked once another person approves incident manual-block:2001:db8:ff00::/40 (as alice)\n');
    const hostBits = await cli(['block', '203.0.113.7/24', '--reason', 'typo'], env);
    assert.equal(hostBits.code, 1);
    assert.equal(hostBits.stderr, 'error: the request body is not valid\n  ip: invalid IP address "203.0.113.7/24": host bits are set: the network is 203.0.113.0/24; give the network or a single address\n');
    const unblockHostBits = await cli(['unblock', '203.0.113.7/24'], env);
    assert.equal(unblockHostBits.code, 1);
    assert.match(unblockHostBits.stderr, /^ {2}ip: invalid IP address "203\.0\.113\.7\/24": host bits are set/m);
    for (const r of [hostBits, unblockHostBits]) assertNoStack(r);
    assert.equal(await riposte.blocks.read('2001:db8:ff00::/40'), null, 'the wide range is not blocked before its approval');
    await eventually('the wide range awaiting approval', async () => ((await incident(encodeURIComponent('manual-block:2001:db8:ff00::/40')))?.status === 'awaiting_approval' ? true : undefined));
    assert.equal((await cli(['reject', 'manual-block:2001:db8:ff00::/40'], env)).code, 0);
  });

  test('block --file: every address and range of a threat list is requested and held; comments and blank lines are skipped', async () => {
    const [first, second] = [uniqueAddress(), uniqueAddress()];
    const range = canonicalCidr(`${uniqueAddress()}/64`).text;
    const list = join(scratch, 'threats.txt');
    await writeFile(list, ['# partner feed, 2025-03-04', '', first.toUpperCase(), `  ${second}   # seen scanning`, '   ', `${range}\t# its whole /64`, '# end', ''].join('\n'));
    const imported = await cli(['block', '--file', list, '--reason', 'partner threat list', '--duration', '2h'], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout, 'requested 3 of 3\n3 blocks requested\n');
    for (const address of [first, second, range]) {
      const block = await eventually(`${address} held`, async () => {
        const view = await riposte.blocks.read(address);
        return view?.state === 'active' ? view : undefined;
      });
      assert.deepEqual([block.reason, block.requestedBy, block.leases.map((l) => l.requester)], ['partner threat list', 'alice', ['alice']]);
      const left = Date.parse(block.expiresAt!) - Date.now();
      assert.ok(left > 115 * 60_000 && left <= 120 * 60_000, `${address} expires in ${left} ms, not about 2h`);
      await eventually(`${address} in the feed`, async () => ((await inFeed(address)) ? true : undefined));
    }
    const listed = (await cli(['blocks'], env)).stdout;
    for (const address of [first, second, range]) assert.match(listed, new RegExp(`^${address} +active +\\S+Z +\\S+Z$`, 'm'));
    for (const address of [first, second, range]) assert.equal((await api.call('DELETE', `/v1/blocks/${encodeURIComponent(address)}`)).status, 202);
  });

  test('block --file: a list with an allowlisted line is refused whole, naming the line, and nothing is requested', async () => {
    const fine = uniqueAddress();
    const allowlisted = `2001:db8:a12:${randomBytes(2).readUInt16BE(0).toString(16)}::1`;
    const list = join(scratch, 'with-allowlisted.txt');
    await writeFile(list, ['# two entries', fine, '', `${allowlisted}  # our office`].join('\n'));
    const refused = await cli(['block', '--file', list, '--reason', 'partner threat list'], env);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: 1 of 2 entries cannot be blocked; nothing was requested$/m);
    assert.match(refused.stderr, /^ {2}line 4 \(ip\): allowlisted by 2001:db8:a12::\/48$/m);
    assert.doesNotMatch(refused.stderr, /line 2/, 'the fine entry is not named');
    assertNoStack(refused);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const address of [fine, allowlisted]) {
      assert.equal(await riposte.blocks.read(address), null, `${address} was not requested`);
      assert.equal(await inFeed(address), false);
    }
  });

  test('block --file: a list with an invalid line is refused whole, naming the line', async () => {
    const fine = uniqueAddress();
    const list = join(scratch, 'with-invalid.txt');
    await writeFile(list, ['# one good, one typo', fine, '010.0.0.1'].join('\n'));
    const refused = await cli(['block', '--file', list, '--reason', 'partner threat list'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ {2}line 3 \(ip\): invalid IP address "010\.0\.0\.1"/m, refused.stderr);
    assertNoStack(refused);
    assert.equal(await riposte.blocks.read(fine), null, 'nothing was requested');
  });

  test('roles apply: a viewer key can look but not approve or block', async () => {
    const { ip, id } = await incidentAwaitingApproval();
    const asViewer = { ...env, RIPOSTE_API_KEY: victor.key };
    const approve = await cli(['approve', id], asViewer);
    assert.equal(approve.code, 1);
    assert.equal(approve.stderr, 'error: POST /v1/incidents/:id/approve needs role responder (or admin); this key (victor) has role viewer\n');
    const block = await cli(['block', uniqueAddress(), '--reason', 'x'], asViewer);
    assert.equal(block.code, 1);
    assert.match(block.stderr, /^error: POST \/v1\/blocks needs role responder/);
    const status = await cli(['status', id], asViewer);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^ {2}status {6}awaiting_approval$/m, 'the refused approval changed nothing');
    assert.ok(!(approve.stderr + block.stderr + status.stdout).includes(victor.key));
    await cli(['reject', id], env);
    assert.equal(await riposte.blocks.read(ip), null);
  });

  test('blocking an allowlisted address is refused with a clear message and nothing is started', async () => {
    const ip = `2001:db8:a12:${randomBytes(2).readUInt16BE(0).toString(16)}::1`;
    const refused = await cli(['block', ip, '--reason', 'looks hostile'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^error: ${ip} is on the allowlist \\(2001:db8:a12::/48, policy test-\\w+\\) and is never blocked\\n {2}ip: allowlisted by 2001:db8:a12::/48\\n$`));
    assert.equal(refused.stdout, '');
    assertNoStack(refused);
    assert.equal(await riposte.blocks.read(ip), null, 'nothing requested');
  });

  test('invalid input is shown as the API\'s error with the field paths, exit 1', async () => {
    const ambiguous = await cli(['block', '010.0.0.1', '--reason', 'x'], env);
    assert.equal(ambiguous.code, 1);
    assert.equal(ambiguous.stderr, 'error: the request body is not valid\n  ip: invalid IP address "010.0.0.1": IPv4 must be four decimal octets without leading zeros\n');
    const duration = await cli(['block', uniqueAddress(), '--reason', 'x', '--duration', '1 week'], env);
    assert.equal(duration.code, 1);
    assert.match(duration.stderr, /^ {2}duration: a whole number followed by s, m, h or d, e\.g\. 24h$/m);
    const notAnId = await cli(['approve', 'block:192.0.2.1'], env);
    assert.equal(notAnId.code, 1);
    assert.match(notAnId.stderr, /^error: no such incident/);
  });

  test('two approvals needed: each approve says how many are given; the same person twice is refused with exit 1', async () => {
    const { ip, id } = await incidentAwaitingApproval(twoPersonApi);
    const first = await cli(['approve', id], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `approved ${id} (as alice): 1 of 2 approvals; another person must approve\n`);
    await eventually('the first approval recorded', async () => ((await incident(id)).approvals?.length === 1 ? true : undefined));
    const again = await cli(['approve', id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: alice has already approved; another person must give the next approval\n');
    const second = await cli(['approve', id, '--json'], { ...env, RIPOSTE_API_KEY: bob.key });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { id, signal: 'approve', by: 'bob', approvals: { given: 2, needed: 2 } });
    await eventually('contained', async () => ((await incident(id)).status === 'contained' ? true : undefined));
    await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  test('incident ids of every kind: any spelling of the entity is made canonical; anything else is told the forms', async () => {
    const account = `Alice-${randomBytes(3).toString('hex')}`;
    const user = `${account.toLowerCase()}@example.org`;
    const posted = await api.call('POST', '/v1/alerts', { id: `click-${account}`, source: 'generic', type: 'phishing.click', user, url: 'https://login.evil.example/a' });
    assert.equal(posted.status, 202, posted.text);
    const id = `phishing:${user}`;
    await eventually('the phishing incident', async () => ((await api.call('GET', `/v1/incidents/${encodeURIComponent(id)}`)).status === 200 ? true : undefined));
    const status = await cli(['status', `phishing:${account}@EXAMPLE.org`], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^${id}\\n`));
    assert.match(status.stdout, new RegExp(`^ {2}entity {6}${user}$`, 'm'));
    const listed = await cli(['incidents', '--entity', `${account}@Example.org`], env);
    assert.match(listed.stdout, new RegExp(`^${id} `, 'm'));

    const malformed = await cli(['status', 'phishing:not a user'], env);
    assert.equal(malformed.code, 1);
    assert.equal(malformed.stderr, 'error: no such incident phishing:not a user: incident ids are <playbook>:<canonical entity>, such as brute-force:203.0.113.7, impossible-travel:alice@example.org, phishing:alice@example.org, lateral-movement:ws-042.corp.example, account-compromise:alice@example.org, manual-block:203.0.113.7 (URL-encoded in a path)\n');
    const missing = await cli(['status', 'lateral-movement:WS-042.corp.example.'], env);
    assert.equal(missing.stderr, 'error: no incident lateral-movement:ws-042.corp.example\n');
    assertNoStack(malformed);
  });

  test('explain: why an address is not acted on yet, readable and as JSON; a malformed entity names the field', async () => {
    const { ip, id } = await incidentAwaitingApproval();
    const answer = await eventually('the incident explained', async () => {
      const r = await cli(['explain', ip.toUpperCase(), '--json'], env);
      const json = r.code === 0 ? JSON.parse(r.stdout) : undefined;
      return json?.incidents.length === 1 ? json : undefined;
    }, 30_000);
    assert.deepEqual([answer.entity, answer.kind, answer.verdict, answer.incidents[0].id], [ip, 'address', 'not_acted_on', id]);

    const plain = await cli(['explain', ip], env);
    assert.equal(plain.code, 0, plain.stderr);
    const out = plain.stdout;
    assert.match(out, new RegExp(`^${ip} \\(address\\): not acted on\n {2}policy {6}test-\\w+\n`));
    assert.match(out, new RegExp(`^ {2}why {9}${id} \\(awaiting_approval\\): held for approval: .+; 0 of 1 approval\\(s\\) given$`, 'm'));
    assert.match(out, new RegExp(`^${id} {2}awaiting_approval {2}open since \\S+Z$`, 'm'));
    assert.match(out, /^ {2}mode {8}approve, policy test-\w+$/m);
    assert.match(out, /^ {2}alerts {6}12 counted in 1 alert\(s\); max severity \d+; e\.g\. .+$/m);
    assert.match(out, new RegExp(`^ {2}plan {8}block ${ip} for 1h$`, 'm'));
    assert.match(out, /^ {2}approvals {3}0 of 1$/m);

    const allowlisted = await cli(['explain', '2001:db8:a12::9'], env);
    assert.match(allowlisted.stdout, /^2001:db8:a12::9 \(address\): no incident\n {2}policy {6}test-\w+, allowlisted by 2001:db8:a12::\/48\n/);
    const asHost = await cli(['explain', 'WS-042.corp.example', '--kind', 'host', '--json'], env);
    assert.deepEqual([JSON.parse(asHost.stdout).entity, JSON.parse(asHost.stdout).kind], ['ws-042.corp.example', 'host']);

    const bad = await cli(['explain', '010.0.0.1'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: invalid entity\n  entity: not an address, URL, user, domain or host name; read as an address: invalid IP address "010.0.0.1": IPv4 must be four decimal octets without leading zeros\n');
    assertNoStack(bad);
    await cli(['reject', id], env);
  });

  test('bad usage exits 2 with the help; --help exits 0', async () => {
    const cases: { args: string[]; error: RegExp; usage: RegExp }[] = [
      { args: [], error: /^error: no command given$/m, usage: /^Usage: riposte <command> \[options\]$/m },
      { args: ['frobnicate'], error: /^error: unknown command "frobnicate"$/m, usage: /^Commands:$/m },
      { args: ['approve'], error: /^error: missing ID$/m, usage: /^Usage: riposte approve ID \[--comment TEXT\] \[--json\]$/m },
      { args: ['approve', 'a', 'b'], error: /^error: unexpected argument "b"$/m, usage: /^Usage: riposte approve /m },
      { args: ['block', '192.0.2.1'], error: /^error: --reason is required$/m, usage: /^Usage: riposte block \[IP\] --reason TEXT \[--duration D\] \[--file FILE\]/m },
      { args: ['block', '192.0.2.1', '--file', 'threats.txt', '--reason', 'x'], error: /^error: give either IP or --file$/m, usage: /^Usage: riposte block \[IP\] /m },
      { args: ['block', '--reason', 'x'], error: /^error: give either IP or --file$/m, usage: /^Usage: riposte block \[IP\] /m },
      { args: ['block', '192.0.2.1', '--reason'], error: /^error: Option '--reason <value>' argument missing$/m, usage: /^Usage: riposte block /m },
      { args: ['blocks', '--force'], error: /^error: Unknown option '--force'$/m, usage: /^Usage: riposte blocks \[--cursor CURSOR\] \[--json\]$/m },
      { args: ['policy'], error: /^error: policy needs a subcommand: check$/m, usage: /^Usage: riposte policy check FILE$/m },
      { args: ['policy', 'apply', 'x.yaml'], error: /^error: unknown policy subcommand "apply"/m, usage: /^Usage: riposte policy check FILE$/m },
      { args: ['--url', 'http://x', 'blocks'], error: /^error: options go after the command/m, usage: /^Commands:$/m },
      { args: ['blocks', '--url', 'ftp://x'], error: /^error: --url must be an http or https URL$/m, usage: /^Usage: riposte blocks/m },
    ];
    // Two at a time: a burst of node processes would starve the timing-sensitive tests running alongside.
    const results = await inPairs(cases.map((c) => () => cli(c.args, env)));
    results.forEach((r, i) => {
      const { args, error, usage } = cases[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, error, args.join(' '));
      assert.match(r.stderr, usage, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assertNoStack(r);
    });

    const helps = await inPairs([['--help'], ['help'], ['block', '--help'], ['policy', 'check', '-h'], ['help', 'status']].map((args) => () => cli(args, {})));
    for (const h of helps) {
      assert.equal(h.code, 0, h.stderr);
      assert.match(h.stdout, /^Usage: riposte /);
    }
    for (const name of ['approve ID', 'reject ID', 'pause ID', 'resume ID', 'status ID', 'block \\[IP\\]', 'unblock IP', 'blocks', 'incidents', 'policy check FILE']) {
      assert.match(helps[0]!.stdout, new RegExp(`^ {2}${name} `, 'm'));
    }
    assert.match(helps[2]!.stdout, /--duration D +how long: a whole number and s, m, h or d \(default 24h, at most 365d\)/);
  });

  test('an unreachable API, a missing key and a wrong key: a clear message, exit 1, and the key never printed', async () => {
    const port = await closedPort();
    const down = await cli(['blocks'], { ...env, RIPOSTE_URL: `http://127.0.0.1:${port}` });
    assert.equal(down.code, 1);
    assert.equal(down.stderr, `error: cannot reach the Riposte API at http://127.0.0.1:${port} (ECONNREFUSED)\nhint: is Riposte running (npm start, or npm run api)? Set RIPOSTE_URL to point elsewhere.\n`);

    const noKey = await cli(['blocks'], { ...env, RIPOSTE_API_KEY: undefined });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^error: no API key: set RIPOSTE_API_KEY, or RIPOSTE_API_KEY_FILE to a file holding it\n/);

    const wrongKey = 'wrong-key-for-the-cli-test-0123456789';
    const wrong = await cli(['approve', 'brute-force:192.0.2.1'], { ...env, RIPOSTE_API_KEY: wrongKey });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: send a valid API key[^\n]*\nhint: the key from RIPOSTE_API_KEY was not accepted by http:\/\/127\.0\.0\.1:\d+\n$/);
    for (const r of [down, noKey, wrong]) {
      assert.ok(!(r.stdout + r.stderr).includes(wrongKey) && !(r.stdout + r.stderr).includes(alice.key), 'the key is never printed');
      assertNoStack(r);
    }

    const badKey = await cli(['blocks'], { ...env, RIPOSTE_API_KEY: 'has a space in it 0123456789' });
    assert.equal(badKey.code, 1);
    assert.equal(badKey.stderr, 'error: the API key from RIPOSTE_API_KEY contains characters an HTTP header cannot carry\n');
  });

  test('the key from RIPOSTE_API_KEY_FILE, or from the development key file', async () => {
    const keyFile = join(scratch, 'api-key');
    await writeFile(keyFile, `${TEST_API_KEY}\n`, { mode: 0o600 });
    const fromFile = await cli(['blocks'], { ...env, RIPOSTE_API_KEY: undefined, RIPOSTE_API_KEY_FILE: keyFile });
    assert.equal(fromFile.code, 0, fromFile.stderr);

    const both = await cli(['blocks'], { ...env, RIPOSTE_API_KEY_FILE: keyFile });
    assert.equal(both.code, 1);
    assert.equal(both.stderr, 'error: set RIPOSTE_API_KEY or RIPOSTE_API_KEY_FILE, not both\n');

    const dataDir = join(scratch, 'data');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'dev-api-key'), `${TEST_API_KEY}\n`);
    const devKey = await cli(['blocks'], { ...env, RIPOSTE_API_KEY: undefined, RIPOSTE_DATA_DIR: dataDir });
    assert.equal(devKey.code, 0, devKey.stderr);
  });

  test('policy check: the version of a valid file; every path at fault in an invalid one, exit 1', async () => {
    const valid = join(scratch, 'valid.yaml');
    await writeFile(valid, 'allowlist: [10.0.0.0/8]\nplaybooks:\n  brute-force:\n    mode: auto\n    blockDuration: 7d\n');
    const ok = await cli(['policy', 'check', valid], {});
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^.+valid\.yaml: valid, version sha256:[0-9a-f]{16}\n$/);

    const invalid = join(scratch, 'invalid.yaml');
    await writeFile(invalid, 'allowlist: [010.0.0.0/8]\nplaybooks:\n  brute-force:\n    blockDuration: 24 hours\n    colour: red\nenforcment: {}\n');
    const bad = await cli(['policy', 'check', invalid], {});
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^error: policy .+invalid\.yaml is invalid:\n/);
    assert.match(bad.stderr, /^ {2}allowlist\.0: invalid IP address "010\.0\.0\.0"/m);
    assert.match(bad.stderr, /^ {2}playbooks\.brute-force\.blockDuration: a whole number followed by s, m, h or d, e\.g\. 24h$/m);
    assert.match(bad.stderr, /^ {2}playbooks\.brute-force: Unrecognized key: "colour"$/m);
    assert.match(bad.stderr, /^ {2}\(top level\): Unrecognized key: "enforcment"$/m);
    assertNoStack(bad);

    const missing = await cli(['policy', 'check', join(scratch, 'nope.yaml')], {});
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: policy .+nope\.yaml: cannot read \(ENOENT\)\n$/);
  });

  test('`npx riposte` runs the CLI through its bin shim, from any directory', async () => {
    const shim = await cli(['--help'], {}, { command: [process.execPath, join(projectDir, 'cli/riposte.mjs')], cwd: tmpdir() });
    assert.equal(shim.code, 0, shim.stderr);
    assert.match(shim.stdout, /^Usage: riposte <command>/);
    const npx = await cli(['--help'], {}, { command: ['npm', 'exec', '--no', '--', 'riposte'] });
    assert.equal(npx.code, 0, npx.stderr);
    assert.match(npx.stdout, /^Usage: riposte <command>/);
  });

  test('riposte temporal runs the bundled Temporal CLI with every argument, its exit status kept: the README\'s signal approves', async () => {
    const temporal = ['--address', suiteServer().address, '--namespace', 'default'];
    const version = await cli(['temporal', '--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^temporal version \d/);
    assert.match((await cli(['--help'])).stdout, /\n {2}temporal ARGS… +run the Temporal CLI/);

    const { id } = await incidentAwaitingApproval();
    const signalled = await cli(['temporal', 'workflow', 'signal', '--workflow-id', id, '--name', 'approve', '--input', '{"by":"ops-oncall"}', ...temporal]);
    assert.equal(signalled.code, 0, signalled.stderr);
    const state = await eventually('contained', async () => {
      const s = await incident(id);
      return s.status === 'contained' ? s : undefined;
    });
    assert.equal(state.approval.by, 'ops-oncall');

    const listed = await cli(['temporal', 'workflow', 'list', '--query', `WorkflowId = '${id}'`, '--output', 'json', ...temporal]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((w: { execution: { workflowId: string } }) => w.execution.workflowId), [id]);

    const missing = await cli(['temporal', 'workflow', 'describe', '--workflow-id', `no-such-${randomBytes(4).toString('hex')}`, ...temporal]);
    assert.equal(missing.code, 1, 'the Temporal CLI\'s own exit status');
    assert.match(missing.stderr, /not found/i);
  });
});
