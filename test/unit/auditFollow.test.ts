import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { followLines } from '../../activities/audit/follow.ts';

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('follows lines appended after it started, whole, through absence, rotation and truncation', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'riposte-follow-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.jsonl');
  const lines: string[] = [];
  const following = followLines(path, (line) => lines.push(line), 10);
  t.after(() => following.stop());
  await following.ready;

  await writeFile(path, 'first\n');
  await until('the line of a file that appeared', () => lines.length === 1);
  await appendFile(path, 'sec');
  await appendFile(path, 'ond ünïcode\nthird\n');
  await until('the appended lines', () => lines.length === 3);
  assert.deepEqual(lines, ['first', 'second ünïcode', 'third']);

  await rename(path, `${path}.1`);
  await writeFile(path, 'rotated\n');
  await until('the new file', () => lines.includes('rotated'));

  await truncate(path, 0);
  await new Promise((r) => setTimeout(r, 50));
  await appendFile(path, 'after truncation\n');
  await until('the truncated file', () => lines.includes('after truncation'));
  assert.deepEqual(lines, ['first', 'second ünïcode', 'third', 'rotated', 'after truncation']);
});

test('what the file held before it started is not delivered', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'riposte-follow-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.jsonl');
  await writeFile(path, 'old\n');
  const lines: string[] = [];
  const following = followLines(path, (line) => lines.push(line), 10);
  t.after(() => following.stop());
  await following.ready;
  await appendFile(path, 'new\n');
  await until('the new line', () => lines.length === 1);
  assert.deepEqual(lines, ['new']);
});
