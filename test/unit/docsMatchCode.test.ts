/**
 * The documents people configure and navigate by, checked against the code: every environment variable the code reads
 * is in .env.example, and every repository path docs/ARCHITECTURE.md names exists.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const CODE_DIRS = ['activities', 'api', 'runtime', 'workers', 'cli', 'scripts', 'domain'];

async function codeFiles(): Promise<string[]> {
  const lists = await Promise.all(CODE_DIRS.map(async (dir) => (await readdir(join(projectDir, dir), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && /\.(ts|mjs|yaml)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))));
  return lists.flat();
}

/** How the code reads a variable: directly, through `secretFromEnv`, an adapter's settings schema, or a firewall template. */
const READS = [
  /process\.env\.([A-Z][A-Z0-9_]+)/g,
  /secretFromEnv\(\w+, '([A-Z][A-Z0-9_]+)'/g,
  /\b(?:e|env)\.([A-Z][A-Z0-9_]{3,})\b/g,
  /\{\{env\.([A-Z][A-Z0-9_]+)\}\}/g,
  /^\s+([A-Z][A-Z0-9]+_[A-Z0-9_]+): z\./gm,
];

test('every environment variable the code reads is in .env.example', async () => {
  const example = await readFile(join(projectDir, '.env.example'), 'utf8');
  const missing = new Set<string>();
  let found = 0;
  for (const file of await codeFiles()) {
    // A YAML template's comments may name variables a copy of it would declare.
    const text = (await readFile(file, 'utf8')).split('\n').filter((line) => !(file.endsWith('.yaml') && line.trimStart().startsWith('#'))).join('\n');
    for (const pattern of READS) {
      for (const [, name] of text.matchAll(pattern)) {
        found += 1;
        if (name !== 'PATH' && !new RegExp(`\\b${name}\\b`).test(example)) missing.add(`${name} (${file.slice(projectDir.length + 1)})`);
      }
    }
  }
  assert.ok(found > 50, `the scan found only ${found} reads: the patterns no longer match the code`);
  assert.deepEqual([...missing].sort(), []);
});

const NOT_SOURCES = new Set(['node_modules', '.git', '.tools', '.data', 'dist']);
/** Made by `npm run build`, or beside the repository (the project's design). */
const OUTSIDE = /^(dist|shared)\//;

test('every repository path docs/ARCHITECTURE.md names exists', async () => {
  const text = await readFile(join(projectDir, 'docs/ARCHITECTURE.md'), 'utf8');
  const named = [...new Set([...text.matchAll(/`([a-z][\w-]*\/[\w./-]*\.(?:ts|mjs|js|json|yaml|css|html|md))`/g)].map(([, path]) => path!))];
  assert.ok(named.length > 50, `only ${named.length} paths found`);
  const top = (await readdir(projectDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !NOT_SOURCES.has(e.name));
  const files = (await Promise.all(top.map(async (e) => (await readdir(join(projectDir, e.name), { recursive: true })).map((p) => `${e.name}/${p}`)))).flat();
  // A path within a row may be relative to that row's directory (`routes/simulate.ts` in the api/ row).
  const missing = named.filter((path) => !OUTSIDE.test(path) && !existsSync(join(projectDir, path)) && !files.some((p) => p.endsWith(`/${path}`)));
  assert.deepEqual(missing, []);
});
