import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');

export interface RiposteProcess {
  child: ChildProcess;
  /** The SDK's default worker identity for this process, `<pid>@<host>`: what pollers and workflow histories show. */
  identity: string;
  /** SIGTERM, as a service manager stops it; SIGKILL when it is still running 15 s later. Resolves once it has exited. */
  stop(): Promise<void>;
  /** kill -9; resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * A Riposte entry point as its own OS process, run from source through tsx, with `env` over the test's environment.
 * Its log goes to the test's stderr, so a process that cannot start says why.
 */
export function startRiposteProcess(entry: 'workers/worker.ts' | 'workers/api.ts' | 'runtime/start.ts', env: Record<string, string>): RiposteProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectDir,
    // Tests reach no outside service: an RDAP lookup would only wait out its timeout for every incident. Worker
    // processes side by side on one host would all want the default metrics port; a test that scrapes one gives it a port.
    env: { ...process.env, RIPOSTE_LOG_LEVEL: 'error', RIPOSTE_RDAP: 'off', RIPOSTE_WORKER_METRICS_PORT: 'off', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    child,
    identity: `${child.pid}@${hostname()}`,
    async stop() {
      const stubborn = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await signal('SIGTERM');
      clearTimeout(stubborn);
    },
    kill: () => signal('SIGKILL'),
  };
}
