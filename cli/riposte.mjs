#!/usr/bin/env node
// The `riposte` bin. It runs the bundle `npm install` built (scripts/bundle-cli.mjs), in plain node, while that is at
// least as new as every source it was built from; otherwise, as in a checkout being edited, it registers tsx (resolved
// from this file, so it works from any directory) and runs the TypeScript sources, so it never runs stale code.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function freshBundle() {
  try {
    const bundle = new URL('.tools/cli/riposte.mjs', root);
    const built = statSync(bundle).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('.tools/cli/inputs.json', root), 'utf8'));
    return sources.every((path) => statSync(new URL(path, root)).mtimeMs <= built) ? bundle : undefined;
  } catch {
    return undefined;
  }
}

const bundle = freshBundle();
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./riposte.ts');
}
