/**
 * `npx tsx scripts/new-api-key.ts --name N --role R [--allow-from CIDR]... [--rate-per-minute N] [--burst N]`:
 * prints a fresh random API key once, and the principals-file entry holding only its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ROLES } from '../api/access.ts';
import { sha256Hex } from '../api/auth.ts';
import { principalsFileSchema } from '../runtime/principals.ts';

const HELP = `Usage: npx tsx scripts/new-api-key.ts --name NAME --role ROLE [options]

Prints a new random API key, and the entry to add under "keys:" in the principals file
(RIPOSTE_PRINCIPALS_FILE, default config/principals.yaml). Only the key's SHA-256 goes in the file;
the key itself is shown once, here: hand it to its user and do not store it.

Options:
  --name NAME             the principal recorded on everything the key does (letters, digits, . _ @ + -)
  --role ROLE             ${ROLES.join(' | ')}
                            ingest:    POST /v1/alerts*
                            viewer:    GET incidents, blocks, audit, control
                            responder: viewer + approve/reject/pause/resume/verdict, POST/DELETE blocks
                            admin:     everything, including the kill switch (POST /v1/control/pause|resume)
  --allow-from CIDR       only from this source network (repeat for several)
  --rate-per-minute N     token-bucket limit per API process; over it: 429 with Retry-After
  --burst N               bucket size (default: the rate per minute)
  -h, --help              this text

The hash of an existing key: printf %s "$KEY" | sha256sum
`;

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        'allow-from': { type: 'string', multiple: true },
        'rate-per-minute': { type: 'string' },
        burst: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.name || !values.role) {
    process.stderr.write(`--name and --role are required\n\n${HELP}`);
    return 2;
  }
  for (const flag of ['rate-per-minute', 'burst'] as const) {
    if (values[flag] !== undefined && !/^\d{1,7}$/.test(values[flag])) {
      process.stderr.write(`--${flag}: expected a whole number, got ${JSON.stringify(values[flag])}\n`);
      return 2;
    }
  }
  const key = `rip_${randomBytes(32).toString('base64url')}`;
  const entry = {
    name: values.name,
    role: values.role,
    sha256: sha256Hex(key),
    ...(values['allow-from'] ? { allowFrom: values['allow-from'] } : {}),
    ...(values['rate-per-minute'] !== undefined ? { ratePerMinute: Number(values['rate-per-minute']) } : {}),
    ...(values.burst !== undefined ? { burst: Number(values.burst) } : {}),
  };
  // The entry is checked as the API will check it, so what is printed is accepted at start-up.
  const checked = principalsFileSchema.safeParse({ keys: [entry] });
  if (!checked.success) {
    const lines = checked.error.issues.map((i) => `  --${String(i.path[2] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`);
    process.stderr.write(`invalid options:\n${lines.join('\n')}\n`);
    return 2;
  }
  const [canonical] = checked.data.keys;
  process.stdout.write([
    `API key (shown once; give it to ${values.name}, do not store it):`,
    '',
    `  ${key}`,
    '',
    'Add this entry under "keys:" in the principals file:',
    '',
    stringify([canonical]).trimEnd().split('\n').map((line) => `  ${line}`).join('\n'),
    '',
  ].join('\n'));
  return 0;
}

process.exitCode = main();
