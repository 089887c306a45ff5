import { createServer } from 'node:net';

/** A loopback TCP port nobody listens on right now: for the dev servers and APIs that tests, scripts and the bench start. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    }).once('error', fail);
  });
}
