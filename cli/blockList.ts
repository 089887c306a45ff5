import { readFile } from 'node:fs/promises';
import { MAX_BLOCKS_PER_REQUEST } from '../domain/acceptedValues.ts';
import type { ApiClient } from './api.ts';
import { clean, CliError } from './errors.ts';

/** One address or range of a threat list, with the line it came from. */
export interface ListedBlock {
  line: number;
  ip: string;
}

/** One entry per line; blank lines and anything after `#` are skipped. `-` reads standard input. */
export async function readBlockList(file: string): Promise<ListedBlock[]> {
  let text: string;
  try {
    text = file === '-' ? await readStream(process.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${clean(file)}: ${clean((err as Error).message)}`);
  }
  const entries = text.split(/\r?\n/).map((raw, i) => ({ line: i + 1, ip: raw.replace(/#.*/, '').trim() })).filter((entry) => entry.ip !== '');
  if (entries.length === 0) throw new CliError(`${clean(file)} lists no address`);
  return entries;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends the list in requests of at most MAX_BLOCKS_PER_REQUEST. The API refuses a request whole when any entry cannot be
 * blocked; the refusal names the entries by line, and says how much was already requested.
 */
export async function importBlocks(api: ApiClient, entries: readonly ListedBlock[], common: { reason: string; duration?: string }, print: (line: string) => void): Promise<void> {
  let requested = 0;
  for (let start = 0; start < entries.length; start += MAX_BLOCKS_PER_REQUEST) {
    const chunk = entries.slice(start, start + MAX_BLOCKS_PER_REQUEST);
    try {
      await api.call('POST', '/v1/blocks', { body: chunk.map(({ ip }) => ({ ip, ...common })) });
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      const details = err.details.map((detail) => detail.replace(/^ {2}\[(\d+)\]\.(ip|reason|duration):/, (_, index: string, field: string) => `  line ${chunk[Number(index)]?.line ?? '?'} (${field}):`));
      const done = requested > 0 ? [`${requested} of ${entries.length} entries were requested before this refusal`] : ['nothing was requested'];
      throw new CliError(err.message, err.exitCode, [...details, ...done]);
    }
    requested += chunk.length;
    print(`requested ${requested} of ${entries.length}`);
  }
  print(`${entries.length} blocks requested`);
}
