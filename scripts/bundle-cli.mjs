// Bundles the `riposte` CLI into .tools/cli/riposte.mjs (and the chunks only some commands load) at npm install, so a call starts in node alone
// rather than through tsx; cli/riposte.mjs runs it only while it is at least as new as every source listed in
// .tools/cli/inputs.json. Never fatal: without the bundle the CLI runs through tsx. Run again after a pull:
//   node scripts/bundle-cli.mjs
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = process.cwd();
const entry = join(root, 'cli', 'riposte.ts');
// The container image installs its packages before its sources are copied in, and runs dist/cli/riposte.js.
if (!existsSync(entry)) process.exit(0);

const out = join(root, '.tools', 'cli');
try {
  const { build } = await import('esbuild');
  // Chunk names carry hashes: the last build's chunks would otherwise pile up.
  await rm(out, { recursive: true, force: true });
  const result = await build({
    entryPoints: { riposte: entry },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    // What only some commands load (simulate, policy check) goes to chunks of its own, never read by the others.
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // Bundled CommonJS packages call require() for Node's built-ins, which an ES module has no binding for.
    banner: { js: "import { createRequire as __riposteRequire } from 'node:module'; const require = __riposteRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith('node_modules/'));
  await writeFile(join(out, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
} catch (err) {
  console.log(`riposte: the CLI was not bundled (${err.message.split('\n')[0]}); it runs through tsx, more slowly.`);
}
