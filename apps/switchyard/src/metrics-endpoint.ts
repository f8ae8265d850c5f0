import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenFailedError } from '@switchyard/protocol';
import type { ServerMetrics } from './metrics.js';
import { formatHostPort } from './options.js';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/** The HTTP server that answers scrapes. */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:9464/metrics`, with the port bound (for `--metrics-port 0`). */
  readonly url: string;
  /** Stops listening and ends open scrape connections. */
  close(): Promise<void>;
}

/**
 * Serves `metrics` over HTTP at `host:port` (0 picks a free port): `GET /metrics` (or `HEAD`)
 * is the text exposition, read from the server's stats as the request arrives; any other path
 * is 404 and any other method 405. Throws `SWITCHYARD_ERR_LISTEN_FAILED` when it cannot bind.
 */
export async function serveMetrics(
  metrics: ServerMetrics,
  host: string,
  port: number,
): Promise<MetricsEndpoint> {
  const server = createServer((request, response) => {
    void answer(metrics, request, response);
  });
  try {
    server.listen({ host, port });
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ListenFailedError(
      `cannot listen for metrics on ${formatHostPort({ host, port })}: ${code}`,
      { cause: error },
    );
  }
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${formatHostPort({ host: bound.address, port: bound.port })}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  metrics: ServerMetrics,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== METRICS_PATH) {
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end(`not found: scrape ${METRICS_PATH}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
    return;
  }
  try {
    const text = await metrics.scrape();
    response.writeHead(200, { 'content-type': metrics.contentType });
    response.end(request.method === 'HEAD' ? undefined : text);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' });
    response.end(`${error instanceof Error ? error.message : String(error)}\n`);
  }
}
