// `npm run worker` and `npm run api`: a compiled entry point from dist/, or one line saying to build first, rather than
// Node's stack trace for a missing module.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const entry = new URL(process.argv[2], dist);
// The bundle's name is workers/riposteWorkers.ts WORKFLOW_BUNDLE_FILE.
const missing = [entry, new URL('workflow-bundle.js', dist)].find((file) => !existsSync(file));
if (missing) {
  process.stderr.write(`riposte: ${fileURLToPath(missing)} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
await import(entry.href);
