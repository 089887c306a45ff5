import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { BlockTarget } from '../../activities/enforce/enforcementPoint.ts';

export interface BlocklistSource {
  read(): Promise<BlockTarget[]>;
}

/**
 * The External Dynamic List that pulling firewalls read: canonical, de-duplicated, stable order, ETag'd. One target a
 * line: an address, or a range as `network/prefix`, the CIDR form Palo Alto EDLs, Fortinet threat feeds and pfSense URL
 * tables all read.
 */
export function feedsRouter({ blocklist }: { blocklist: BlocklistSource }): Router {
  const router = Router();
  router.get('/blocklist.txt', async (req, res) => {
    // Plain string order: stable for ETags and diffs, and cheap at 100k entries, unlike a numeric sort.
    const addresses = [...new Set((await blocklist.read()).map((t) => t.address))].sort();
    const body = addresses.length > 0 ? `${addresses.join('\n')}\n` : '';
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', ETag: etag });
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.send(body);
  });
  return router;
}
