import { callApi } from './http.ts';

/** The API's most a request takes (api/routes/blocks.ts): a threat list arrives in requests of this size. */
export const IMPORT_CHUNK = 10_000;

export interface ImportResult {
  requests: number;
  /** Requests answered anything but 202 with every entry requested. */
  refused: number;
  requestMs: number[];
  elapsedMs: number;
}

/** POST /v1/blocks arrays of IMPORT_CHUNK entries, one request after another, as an importer would send them. */
export async function importBlocks(apiUrl: string, addresses: readonly string[], reason: string, duration: string): Promise<ImportResult> {
  const started = performance.now();
  const requestMs: number[] = [];
  let refused = 0;
  for (let from = 0; from < addresses.length; from += IMPORT_CHUNK) {
    const chunk = addresses.slice(from, from + IMPORT_CHUNK);
    const t0 = performance.now();
    const { status, text } = await callApi(apiUrl, 'POST', '/v1/blocks', chunk.map((ip) => ({ ip, reason, duration })));
    requestMs.push(performance.now() - t0);
    if (status !== 202 || (JSON.parse(text) as { requested?: number }).requested !== chunk.length) refused += 1;
  }
  return { requests: requestMs.length, refused, requestMs, elapsedMs: performance.now() - started };
}
