import { Logger } from '@nestjs/common';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer of a health route: its status and JSON body. */
export interface HealthAnswer {
  statusCode: number;
  body: unknown;
}

/** The Prometheus text exposition and its content type. */
export interface Exposition {
  contentType: string;
  text: string;
}

/** What the management port serves, wherever it runs (one process, or a cluster's primary). */
export interface ManagementRoutes {
  metrics(): Promise<Exposition>;
  ready(): Promise<HealthAnswer>;
}

const LIVE: HealthAnswer = { statusCode: 200, body: { status: 'ok' } };

/**
 * The management listener on `host:port`: `GET /metrics`, `/health` and `/health/ready`, and a
 * JSON 404 for anything else. A plain node:http server: it serves three routes to a scraper and an
 * orchestrator, apart from the public app, its hooks and its metrics. Resolves once it listens.
 */
export async function startManagementServer(
  host: string,
  port: number,
  routes: ManagementRoutes,
): Promise<Server> {
  const logger = new Logger('Management');
  const answer = (path: string): Promise<HealthAnswer | Exposition> => {
    if (path === '/health') return Promise.resolve(LIVE);
    if (path === '/health/ready') return routes.ready();
    if (path !== '/metrics') return Promise.resolve(notFound());
    return routes.metrics().catch((error: unknown) => {
      // A worker that did not answer in time (one restarting, say) fails the scrape, visibly.
      logger.warn({ msg: 'Metrics could not be collected', err: String(error) });
      return unavailable('The metrics could not be collected; try again.');
    });
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') send(response, notFound());
    else void answer(path).then((result) => send(response, result));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const managementPort = (server.address() as AddressInfo).port;
  logger.log({
    msg: `Management port open on ${host}:${managementPort}: /metrics, /health, /health/ready`,
    managementPort,
  });
  return server;
}

/** Stops listening and ends open connections (a scraper's keep-alive would hold the close). */
export function closeManagementServer(server: Server | null): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The contract's error shape, as every answer of this service has it. */
export function unavailable(message: string): HealthAnswer {
  return { statusCode: 503, body: { statusCode: 503, code: 'service_unavailable', message } };
}

function notFound(): HealthAnswer {
  return {
    statusCode: 404,
    body: { statusCode: 404, code: 'not_found', message: 'There is nothing here.' },
  };
}

function send(response: ServerResponse, answer: HealthAnswer | Exposition): void {
  const [status, contentType, body] =
    'text' in answer
      ? [200, answer.contentType, answer.text]
      : [answer.statusCode, 'application/json; charset=utf-8', JSON.stringify(answer.body)];
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}
