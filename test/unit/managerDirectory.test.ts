import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileManagerDirectory, createHttpManagerDirectory, managerDirectories, parseCsv, parseManagerFile,
} from '../../activities/enrich/managerDirectory.ts';

const LOOKUP_TOKEN = 'mgr-lookup-t0ken-9f8e7d';
const LOOKUP_KEY = 'q-key-55aa66bb';

const YAML = `users:
  Alice@Example.org: bob@example.org
  carol@example.org:
    manager: dave@example.org
    name: Dave Doe
    slack: U024DAVE
  erin: { slack: '@frank' }
`;

const CSV = 'user,manager_email,manager_name,manager_slack\r\n'
  + 'ALICE@example.org,bob@example.org,,\r\n'
  + '"carol@example.org",dave@example.org,"Doe, Dave ""DD""",U024DAVE\r\n'
  + '\r\n'
  + 'erin,,,@frank\r\n';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'riposte-managers-')); });
after(() => rm(dir, { recursive: true, force: true }));

/** Writes the file and moves its modification time forward, so a reload never hinges on the clock's granularity. */
async function writeVersion(path: string, text: string, version: number) {
  await writeFile(path, text);
  const at = new Date(Date.UTC(2030, 0, 1, 0, 0, version));
  await utimes(path, at, at);
}

describe('manager file', () => {
  for (const [ext, text] of [['yaml', YAML], ['csv', CSV]] as const) {
    test(`${ext}: looks users up case-insensitively, with each way to reach the manager`, async () => {
      const path = join(dir, `managers.${ext}`);
      await writeVersion(path, text, 1);
      const directory = createFileManagerDirectory({ path });
      assert.deepEqual(await directory.managerOf('alice@example.org'), { email: 'bob@example.org' });
      assert.deepEqual(await directory.managerOf(' CAROL@example.org '), {
        email: 'dave@example.org', name: ext === 'csv' ? 'Doe, Dave "DD"' : 'Dave Doe', slack: 'U024DAVE',
      });
      assert.deepEqual(await directory.managerOf('Erin'), { slack: '@frank' });
      assert.equal(await directory.managerOf('mallory@example.org'), undefined);
    });
  }

  test('re-reads the file when it changes, even by an atomic rename', async () => {
    const path = join(dir, 'reload.yaml');
    await writeVersion(path, 'users:\n  alice@example.org: bob@example.org\n', 1);
    const directory = createFileManagerDirectory({ path });
    assert.deepEqual(await directory.managerOf('alice@example.org'), { email: 'bob@example.org' });

    await writeVersion(path, 'users:\n  alice@example.org: carol@example.org\n', 2);
    assert.deepEqual(await directory.managerOf('alice@example.org'), { email: 'carol@example.org' });

    const next = join(dir, 'reload.next.yaml');
    await writeVersion(next, 'users:\n  alice@example.org: craig@example.org\n', 2);
    await rename(next, path);
    assert.deepEqual(await directory.managerOf('alice@example.org'), { email: 'craig@example.org' }, 'same time and size, new inode');
  });

  test('a broken edit keeps the last good table and is reported once', async () => {
    const path = join(dir, 'broken.csv');
    await writeVersion(path, 'user,manager_email,manager_name,manager_slack\nalice,bob@example.org,,\n', 1);
    const warnings: string[] = [];
    const directory = createFileManagerDirectory({ path, warn: (message) => warnings.push(message) });
    assert.deepEqual(await directory.managerOf('alice'), { email: 'bob@example.org' });

    await writeVersion(path, 'user,manager_email,manager_name,manager_slack\nalice,not-an-address,,\n', 2);
    assert.deepEqual(await directory.managerOf('alice'), { email: 'bob@example.org' });
    assert.deepEqual(await directory.managerOf('alice'), { email: 'bob@example.org' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /broken\.csv: row 1 \(alice\): must be a plain e-mail address; keeping the previous version/);
  });

  test('a file that was never valid, or is missing, fails the lookup', async () => {
    const path = join(dir, 'never.yaml');
    await writeVersion(path, 'users:\n  alice: { manager: "bob@example.org\\r\\nBcc: x@example.org" }\n', 1);
    await assert.rejects(createFileManagerDirectory({ path }).managerOf('alice'), /never\.yaml: users\.alice/);
    await assert.rejects(createFileManagerDirectory({ path: join(dir, 'absent.csv') }).managerOf('alice'), { code: 'ENOENT' });
  });

  test('refuses duplicates after canonicalization, entries that name no manager, and other extensions', () => {
    assert.throws(() => parseManagerFile('users:\n  Alice: bob@example.org\n  alice: carol@example.org\n', 'm.yml'), /user alice is listed twice/);
    assert.throws(() => parseManagerFile('users:\n  alice: {}\n', 'm.yaml'), /names no manager/);
    assert.throws(() => parseManagerFile('user,manager_email,manager_name,manager_slack\nalice,,,\n', 'm.csv'), /row 1 \(alice\): names no manager/);
    assert.throws(() => parseManagerFile('user,manager\nalice,bob@example.org\n', 'm.csv'), /header must be user,manager_email,manager_name,manager_slack/);
    assert.throws(() => parseManagerFile('{}', 'm.json'), /must end in \.yaml, \.yml or \.csv/);
  });

  test('parses RFC 4180 quoting', () => {
    assert.deepEqual(parseCsv('a,"b,c","d""e"\n"multi\nline",,x'), [['a', 'b,c', 'd"e'], ['multi\nline', '', 'x']]);
    assert.throws(() => parseCsv('a,"open'), /ends inside a quoted field/);
  });
});

interface Seen { url: string; headers: IncomingHttpHeaders }

describe('manager lookup over HTTP', () => {
  const seen: Seen[] = [];
  let answer: (user: string | null) => { status: number; body?: string } = () => ({ status: 404 });
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const { status, body } = answer(new URL(req.url ?? '/', 'http://x').searchParams.get('user'));
    res.writeHead(status, { 'content-type': 'application/json' }).end(body ?? '');
  });
  let base: string;
  before(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/manager?key=${LOOKUP_KEY}`;
  });
  after(() => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }));
  const directory = () => createHttpManagerDirectory({ url: base, token: LOOKUP_TOKEN, timeoutMs: 2000 });
  const hidesSecrets = (err: Error) => [LOOKUP_TOKEN, LOOKUP_KEY].every((s) => !`${err.message}${err.stack}${JSON.stringify(err)}`.includes(s));

  test('asks for the canonical user with the bearer token and reads the manager', async () => {
    seen.length = 0;
    answer = (user) => (user === 'alice@example.org'
      ? { status: 200, body: JSON.stringify({ manager: { email: 'bob@example.org', name: 'Bob', slack: 'U01BOB' } }) }
      : { status: 404, body: '{"error":"not_found"}' });
    assert.deepEqual(await directory().managerOf('Alice@Example.org'), { email: 'bob@example.org', name: 'Bob', slack: 'U01BOB' });
    assert.equal(seen[0]?.url, `/v1/manager?key=${LOOKUP_KEY}&user=alice%40example.org`);
    assert.equal(seen[0]?.headers.authorization, `Bearer ${LOOKUP_TOKEN}`);
    assert.equal(await directory().managerOf('mallory'), undefined, '404 is an unknown user');
  });

  test('a known user without a manager is undefined', async () => {
    answer = () => ({ status: 200, body: '{"manager":null}' });
    assert.equal(await directory().managerOf('ceo'), undefined);
  });

  test('5xx is retryable, 401 and an unreadable answer are final; none names the token or the key', async () => {
    answer = () => ({ status: 503 });
    await assert.rejects(directory().managerOf('alice'), (err: Error & { type?: string; nonRetryable?: boolean }) =>
      err.type === 'VendorUnavailable' && !err.nonRetryable && hidesSecrets(err));
    answer = () => ({ status: 401, body: `{"error":"bad token ${LOOKUP_TOKEN}"}` });
    await assert.rejects(directory().managerOf('alice'), (err: Error & { type?: string; nonRetryable?: boolean }) =>
      err.type === 'VendorRejected' && err.nonRetryable === true && hidesSecrets(err));
    answer = () => ({ status: 200, body: '{"manager":{"email":"bob@example.org\\r\\nBcc: x@example.org"}}' });
    await assert.rejects(directory().managerOf('alice'), (err: Error & { nonRetryable?: boolean }) =>
      /unreadable body/.test(err.message) && err.nonRetryable === true && hidesSecrets(err));
  });

  test('a malformed URL is refused at construction without echoing it', () => {
    assert.throws(() => createHttpManagerDirectory({ url: `::${LOOKUP_KEY}` }), (err: Error) => hidesSecrets(err) && /not a valid URL/.test(err.message));
  });

  test('the registry builds both directories from their variables', async () => {
    const [file, lookup] = managerDirectories;
    assert.deepEqual(managerDirectories.map((d) => [d.name, d.requires]), [['manager-file', ['RIPOSTE_MANAGER_FILE']], ['manager-http', ['RIPOSTE_MANAGER_LOOKUP_URL']]]);
    const path = join(dir, 'registry.yaml');
    await writeVersion(path, 'users:\n  alice: bob@example.org\n', 1);
    assert.deepEqual(await file!.create(file!.settings.parse({ RIPOSTE_MANAGER_FILE: path })).managerOf('alice'), { email: 'bob@example.org' });
    seen.length = 0;
    answer = () => ({ status: 404 });
    await lookup!.create(lookup!.settings.parse({ RIPOSTE_MANAGER_LOOKUP_URL: base, RIPOSTE_MANAGER_LOOKUP_TOKEN: LOOKUP_TOKEN })).managerOf('alice');
    assert.equal(seen[0]?.headers.authorization, `Bearer ${LOOKUP_TOKEN}`);
  });
});
