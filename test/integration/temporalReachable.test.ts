/**
 * How the ingest path tells a stopped Temporal from a busy one before it sends anything (api/temporalReachable.ts):
 * a refused connection is unreachable at once; a server that accepts the connection but is slow to answer (as a
 * saturated one is, reconnecting after its routine connection-age close) is reachable; a live server is reachable.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporalReachable } from '../../api/temporalReachable.ts';
import { freePort } from '../../runtime/freePort.ts';
import { connectClosably, suiteServer } from '../support/temporal.ts';

/** Shorter than the 1.5 s wait: what tells an answer read from the channel from one that waited the wait out. */
const WITHOUT_WAITING_MS = 1_400;

async function timedReachable(connection: Connection): Promise<{ reachable: boolean; ms: number }> {
  const started = performance.now();
  const reachable = await temporalReachable(new Client({ connection }));
  return { reachable, ms: performance.now() - started };
}

test('a port nothing listens on is unreachable, well within the 2 s a SIEM is promised', async () => {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  try {
    const { reachable, ms } = await timedReachable(connection);
    assert.equal(reachable, false);
    assert.ok(ms < WITHOUT_WAITING_MS, `answered in ${Math.round(ms)} ms`);
  } finally {
    await connection.close();
  }
});

test('a server that accepts the connection but has not answered the handshake after 1.5 s is busy, so reachable', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  const connection = Connection.lazy({ address: `127.0.0.1:${(silent.address() as { port: number }).port}` });
  try {
    const { reachable, ms } = await timedReachable(connection);
    assert.equal(reachable, true);
    assert.ok(ms >= WITHOUT_WAITING_MS, `it waited ${Math.round(ms)} ms for the handshake first`);
  } finally {
    await connection.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((ok) => silent.close(ok));
  }
});

test('a live Temporal server is reachable at once', async () => {
  const { connection, close } = await connectClosably(suiteServer().address);
  try {
    const { reachable, ms } = await timedReachable(connection);
    assert.equal(reachable, true);
    assert.ok(ms < WITHOUT_WAITING_MS, `answered in ${Math.round(ms)} ms`);
  } finally {
    await close();
  }
});
