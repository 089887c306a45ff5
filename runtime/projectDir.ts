import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function nearestPackageDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/**
 * The checkout (or the image's app directory), where `npm install` puts `.tools/`: the nearest directory above this
 * module with a package.json, so the compiled modules in dist/ find the same one as the sources do.
 */
export const projectDir = nearestPackageDir(dirname(fileURLToPath(import.meta.url)));
