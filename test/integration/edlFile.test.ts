import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { createEnforcementActivities } from '../../activities/enforce/index.ts';
import { discardAudit } from '../../activities/audit/index.ts';
import { canonicalCidr } from '../../domain/ip.ts';

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

describe('ranges through the enforcement activities, into the EDL file', () => {
  const allowlist = ['198.51.100.7', '2001:db8:a11::/48'].map(canonicalCidr);

  test('a range is an entry of its own, a network/prefix line beside an address inside it, and each comes off alone', async () => {
    const file = new EdlFile(join(dir, 'ranges.json'));
    const { applyBlock, removeBlock } = createEnforcementActivities({ points: [createEdlEnforcer(file)], allowlist, assertContainmentAllowed: async () => undefined, audit: discardAudit });
    const expiresAt = Date.now() + 60_000;
    for (const address of ['203.0.113.0/24', '203.0.113.7', '2001:db8:1:2::/64']) await applyBlock({ point: 'edl', address, expiresAt });
    assert.deepEqual((await file.read()).map((t) => t.address), ['2001:db8:1:2::/64', '203.0.113.0/24', '203.0.113.7']);
    await removeBlock({ point: 'edl', address: '203.0.113.0/24' });
    assert.deepEqual((await file.read()).map((t) => t.address), ['2001:db8:1:2::/64', '203.0.113.7']);
  });

  test('a range over the allowlist, or not in canonical form, is refused and the file is left as it was', async () => {
    const file = new EdlFile(join(dir, 'refused.json'));
    const { applyBlock, removeBlock } = createEnforcementActivities({ points: [createEdlEnforcer(file)], allowlist, assertContainmentAllowed: async () => undefined, audit: discardAudit });
    const expiresAt = Date.now() + 60_000;
    for (const [address, message] of [
      ['198.51.100.0/24', /^198\.51\.100\.0\/24 covers addresses allowlisted by 198\.51\.100\.7$/],
      ['2001:db8:a11:5::/64', /^2001:db8:a11:5::\/64 covers addresses allowlisted by 2001:db8:a11::\/48$/],
      ['198.51.100.7', /^198\.51\.100\.7 is allowlisted by 198\.51\.100\.7$/],
    ] as const) {
      await assert.rejects(applyBlock({ point: 'edl', address, expiresAt }), { type: 'AllowlistViolation', nonRetryable: true, message });
    }
    for (const address of ['203.0.113.7/24', '203.0.113.7/32', '2001:DB8:1:2::/64', '::ffff:203.0.113.0/120']) {
      await assert.rejects(applyBlock({ point: 'edl', address, expiresAt }), { type: 'InvalidAddress', nonRetryable: true }, address);
      await assert.rejects(removeBlock({ point: 'edl', address }), { type: 'InvalidAddress' }, address);
    }
    assert.deepEqual(await file.read(), []);
  });
});
