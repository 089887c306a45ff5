import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir } from '../runtime/projectDir.ts';
import type { CommandSpec } from './commands.ts';

/** The package's version, from the package.json above this module: the same from the sources, dist/ and the bundle. */
export function riposteVersion(): string {
  return (JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { version: string }).version;
}

export const versionCommand: CommandSpec = {
  name: 'version',
  args: [],
  summary: 'print the version of riposte (also --version)',
  description: 'Prints the version of this riposte, as its package.json says.',
  options: {},
  api: false,
  async run({ print }) {
    print(`riposte ${riposteVersion()}`);
  },
};
