import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edl-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('concurrent applies and removes all land, idempotently, and a new reader sees them', async () => {
  const path = join(dir, 'concurrent.json');
  const point = createEdlEnforcer(new EdlFile(path));
  const expiresAt = Date.now() + 60_000;
  await Promise.all(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1'].map((address) => point.apply({ address, expiresAt })));
  await point.remove('192.0.2.2');
  await point.remove('192.0.2.9');
  assert.deepEqual((await new EdlFile(path).read()).map((t) => t.address), ['192.0.2.1', '192.0.2.3']);
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left behind');
});

test('an apply never shortens an entry, and expired entries are not served', async () => {
  const file = new EdlFile(join(dir, 'expiry.json'));
  const point = createEdlEnforcer(file);
  const now = Date.now();
  await point.apply({ address: '198.51.100.1', expiresAt: now + 60_000 });
  await point.apply({ address: '198.51.100.1', expiresAt: now + 1_000 });
  await point.apply({ address: '198.51.100.2', expiresAt: now + 1_000 });
  assert.deepEqual(await file.read(now), [{ address: '198.51.100.1', expiresAt: now + 60_000 }, { address: '198.51.100.2', expiresAt: now + 1_000 }]);
  assert.deepEqual((await file.read(now + 2_000)).map((t) => t.address), ['198.51.100.1']);
});

test('a missing file is an empty list', async () => {
  assert.deepEqual(await new EdlFile(join(dir, 'absent.json')).read(), []);
});
