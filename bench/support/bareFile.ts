import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

/** A bare node:http server sending a file as it is: the floor under any feed served from that file. */
export async function serveFile(path: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    readFile(path).then((file) => res.end(file), () => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
