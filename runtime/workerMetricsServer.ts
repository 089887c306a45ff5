import { createServer, type Server } from 'node:http';
import type { MetricsExposition } from '../api/metrics/exposition.ts';
import { PortInUseError } from './portInUse.ts';

/**
 * A worker process's metrics at `http://<host>:<port>/metrics`, without credentials: it listens on loopback unless
 * RIPOSTE_WORKER_METRICS_HOST says otherwise, for a Prometheus server or agent on the same host or network.
 */
export async function serveWorkerMetrics({ host, port }: { host: string; port: number }, metrics: MetricsExposition): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${err.message}\n`),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('listening', ok).once('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'EADDRINUSE' ? new PortInUseError(port, 'RIPOSTE_WORKER_METRICS_PORT') : err);
    });
    server.listen(port, host);
  });
  // The workers decide when the process ends; this endpoint never keeps it alive.
  server.unref();
  return server;
}
