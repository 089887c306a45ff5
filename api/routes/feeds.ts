import { createHash } from 'node:crypto';
import { Router } from 'express';
import ipaddr from 'ipaddr.js';
import type { BlockTarget } from '../../activities/enforce/enforcementPoint.ts';

export interface BlocklistSource {
  read(): Promise<BlockTarget[]>;
}

function byFamilyThenValue(a: string, b: string): number {
  const pa = ipaddr.parse(a);
  const pb = ipaddr.parse(b);
  if (pa.kind() !== pb.kind()) return pa.kind() === 'ipv4' ? -1 : 1;
  const ba = pa.toByteArray();
  const bb = pb.toByteArray();
  for (let i = 0; i < ba.length; i += 1) if (ba[i] !== bb[i]) return ba[i]! - bb[i]!;
  return 0;
}

/** The External Dynamic List that pulling firewalls read: canonical, de-duplicated, stable order, ETag'd. */
export function feedsRouter({ blocklist }: { blocklist: BlocklistSource }): Router {
  const router = Router();
  router.get('/blocklist.txt', async (req, res) => {
    const addresses = [...new Set((await blocklist.read()).map((t) => t.address))].sort(byFamilyThenValue);
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
