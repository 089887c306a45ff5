import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a CLI test starts from: no key, key file or URL of the machine's own. */
export function cliEnv(env: Record<string, string | undefined>): Record<string, string> {
  const base: Record<string, string | undefined> = { ...process.env, RIPOSTE_API_KEY: undefined, RIPOSTE_API_KEY_FILE: undefined, RIPOSTE_URL: undefined };
  return Object.fromEntries(Object.entries({ ...base, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The TypeScript CLI under tsx, as a command line. */
export const CLI_COMMAND = [process.execPath, '--import', 'tsx', join(projectDir, 'cli/riposte.ts')];

/** The real CLI as a separate process, the way an operator runs it. */
export function cli(args: string[], env: Record<string, string | undefined> = {}, options: { command?: string[]; cwd?: string } = {}): Promise<CliResult> {
  const [file, ...prefix] = options.command ?? CLI_COMMAND;
  return new Promise((ok) => {
    execFile(file!, [...prefix, ...args], { cwd: options.cwd ?? projectDir, env: cliEnv(env), timeout: 60_000 }, (error, stdout, stderr) => {
      ok({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

export function assertNoStack(result: CliResult): void {
  assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}
