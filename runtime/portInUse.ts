import { createServer } from 'node:net';

/** A port Riposte would listen on is taken: said in one line, with the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number, readonly variable: string) {
    super(`port ${port} is in use (${variable})`);
  }
}

/**
 * Fails with PortInUseError when `port` cannot be listened on at `host` now, so start-up stops before it starts
 * anything that would then have to be stopped. Port 0 (any free port) is never taken.
 */
export async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'EADDRINUSE' ? new PortInUseError(port, variable) : err));
    server.listen(port, host, () => server.close(() => ok()));
  });
}
