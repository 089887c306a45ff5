/**
 * `npm run build`: the production code compiled to dist/ (tsconfig.build.json), the data files it reads beside its
 * modules, and the workflow code bundled once, so that a compiled worker starts without bundling
 * (workers/riposteWorkers.ts `workflowBundle`). `--out-dir DIR` builds elsewhere; the compiled modules find their
 * packages from DIR upward, so a node_modules must sit beside DIR (as in the container image).
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_FILE, workflowBundleOptions } from '../workers/riposteWorkers.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../..');
/** What the API, the workers and the CLI run, as tsconfig.build.json lists it; never test/ or bench/. */
const { include: PRODUCTION_DIRS } = JSON.parse(await readFile(join(projectDir, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
/** Source files; everything else in a production folder is data a module reads relative to itself (import.meta.url). */
const SOURCE = /\.(ts|mjs)$/;

const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: join(projectDir, 'dist') } } });
const outDir = resolve(values['out-dir']);
const fromOutDir = relative(outDir, projectDir);
if (fromOutDir === '' || (!fromOutDir.startsWith('..') && !isAbsolute(fromOutDir))) {
  process.stderr.write(`riposte build: --out-dir ${outDir} holds the project itself, and the build empties it first\n`);
  process.exit(2);
}

await rm(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(projectDir, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });

let assets = 0;
for (const dir of PRODUCTION_DIRS) {
  const entries = await readdir(join(projectDir, dir), { withFileTypes: true, recursive: true });
  for (const entry of entries.filter((e) => e.isFile() && !SOURCE.test(e.name))) {
    const target = join(outDir, relative(projectDir, entry.parentPath), entry.name);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(entry.parentPath, entry.name), target);
    assets += 1;
  }
}

const bundle = await bundleWorkflowCode(workflowBundleOptions(new DefaultLogger('WARN')));
await writeFile(join(outDir, WORKFLOW_BUNDLE_FILE), bundle.code);
process.stdout.write(`riposte build: ${relative(process.cwd(), outDir) || '.'}/ (${assets} data files, ${WORKFLOW_BUNDLE_FILE} ${Math.round(bundle.code.length / 1024)} kB)\n`);
