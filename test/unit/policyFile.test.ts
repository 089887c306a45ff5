import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPolicy, PolicyError } from '../../runtime/policyFile.ts';

const configDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../config');
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-policy-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('the shipped policy and the documented example are valid, and the example sets what it documents', async () => {
  const shipped = await loadPolicy(join(configDir, 'policy.yaml'));
  assert.equal(shipped.playbooks['brute-force']?.mode, 'approve');
  const example = await loadPolicy(join(configDir, 'policy.example.yaml'));
  const bruteForce = example.playbooks['brute-force']!;
  assert.deepEqual(bruteForce.blockDuration, [86_400_000, 7 * 86_400_000, 30 * 86_400_000]);
  assert.equal(bruteForce.onApprovalTimeout, 'escalate');
  assert.deepEqual(bruteForce.autoApproveWindows.map((w) => w.text), ['Sat-Sun 01:00-05:00']);
  assert.equal(example.circuitBreaker.maxNewBlocks, 50);
  assert.match(example.version, /^sha256:[0-9a-f]{16}$/);
});

test('an invalid policy is refused with every field at fault and its reason', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(file, [
    'maxBlockWidth: { ipv4: 40 }',
    'circuitBreaker: { maxNewBlocks: 0 }',
    'offenceMemory: 400d',
    'playbooks:',
    '  brute-force:',
    '    onApprovalTimeout: ignore',
    '    autoApproveWindows: ["weekends"]',
    '    timeZone: Atlantis/Central',
    '    blockDuration: [24h, forever]',
  ].join('\n'));
  await assert.rejects(loadPolicy(file), (err: Error) => {
    assert.ok(err instanceof PolicyError);
    for (const line of [
      /^ {2}maxBlockWidth\.ipv4: .*32/m,
      /^ {2}circuitBreaker\.maxNewBlocks: /m,
      /^ {2}offenceMemory: at most 365d$/m,
      /^ {2}playbooks\.brute-force\.onApprovalTimeout: .*"deny"\|"escalate"/m,
      /^ {2}playbooks\.brute-force\.autoApproveWindows\.0: a window such as "Sat-Sun 01:00-05:00"/m,
      /^ {2}playbooks\.brute-force\.timeZone: an IANA time zone name/m,
      /^ {2}playbooks\.brute-force\.blockDuration\.1: a whole number followed by s, m, h or d/m,
    ]) assert.match(err.message, line);
    return true;
  });
});

test('a policy naming an enforcement point or an alert source that is not registered is refused, with the known ones', async () => {
  const points = join(dir, 'points.yaml');
  await writeFile(points, 'enforcement: { points: [edl, iptabels] }\n');
  await assert.rejects(loadPolicy(points), /^ {2}enforcement\.points\.1: unknown enforcement point iptabels; known: nftables, edl, log/m);
  const sources = join(dir, 'sources.yaml');
  await writeFile(sources, 'sources: { wazuhh: { types: { "rule:5710": auth.failure } } }\n');
  await assert.rejects(loadPolicy(sources), /^ {2}sources\.wazuhh: unknown alert source; known: humio/m);
});
