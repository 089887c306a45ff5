import type { BlockView } from '../../workflows/messages.ts';
import { callApi } from './http.ts';

export interface PageWalk {
  pageMs: number[];
  blocks: number;
  /** Blocks listed `active` with every one of `points` applied. */
  heldEverywhere: number;
  failed: boolean;
}

/** Every page of GET /v1/blocks, following `next`, each timed: what an operator's listing costs at this size. */
export async function walkBlockPages(apiUrl: string, limit: number, points: readonly string[]): Promise<PageWalk> {
  const pageMs: number[] = [];
  let blocks = 0;
  let heldEverywhere = 0;
  let cursor: string | null = null;
  do {
    const t0 = performance.now();
    const { status, text } = await callApi(apiUrl, 'GET', `/v1/blocks?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    pageMs.push(performance.now() - t0);
    if (status !== 200) return { pageMs, blocks, heldEverywhere, failed: true };
    const page = JSON.parse(text) as { blocks: BlockView[]; next: string | null };
    blocks += page.blocks.length;
    heldEverywhere += page.blocks.filter((b) => b.state === 'active' && points.every((p) => b.points[p]?.state === 'applied')).length;
    cursor = page.next;
  } while (cursor);
  return { pageMs, blocks, heldEverywhere, failed: false };
}
