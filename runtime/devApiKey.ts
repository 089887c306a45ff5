import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ApiKeySpec, plainAdminKey } from '../api/auth.ts';

/** A development key kept under the data directory, so the quick start's key survives a restart. */
export async function devApiKey(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = `rip_dev_${randomBytes(24).toString('base64url')}`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/** The development key's principal: role admin, so the quick start's one key can both ingest and approve. */
export const DEV_PRINCIPAL_NAME = 'dev';
export const devPrincipal = (key: string): ApiKeySpec => plainAdminKey(key, DEV_PRINCIPAL_NAME);

/** How many API keys and webhook secrets a configuration has; an API with none could only refuse. */
export const configuredCredentials = (api: { keys: readonly unknown[]; principals: readonly unknown[]; webhookSecrets: readonly unknown[] }) => ({
  keys: api.keys.length + api.principals.length,
  webhooks: api.webhookSecrets.length,
});

export const NO_CREDENTIALS_HELP = 'no API keys: list them in a principals file (RIPOSTE_PRINCIPALS_FILE, default config/principals.yaml; '
  + 'npx tsx scripts/new-api-key.ts makes one), or set RIPOSTE_API_KEYS (plain keys with role admin)';
