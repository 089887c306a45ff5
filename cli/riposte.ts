/**
 * The `riposte` command. Everything but `policy check` and `simulate` goes through the HTTP API, so the key's role
 * applies and its principal is recorded as the one who acted; `policy check` and `simulate` only read files.
 *
 *   npx riposte <command> …                       (package.json "bin" → cli/riposte.mjs: the bundle, else tsx)
 *   node --import tsx cli/riposte.ts <command> …
 *   node dist/cli/riposte.js <command> …          (the container image)
 */
import { run } from './commands.ts';

process.exitCode = await run(process.argv.slice(2), process.env, (text) => process.stdout.write(`${text}\n`), (text) => process.stderr.write(`${text}\n`));
