import type { AuthenticatedUser, PresentedRefreshToken } from '../core/types';

/**
 * What the library reads of a request. Express's `req` and Fastify's request both have these
 * members under these names, so one code path serves both platforms.
 */
export interface HttpRequest {
  method: string;
  url: string;
  /** Express: the URL before any router mount; Fastify: the URL as received. */
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  ip?: string;
  socket?: { remoteAddress?: string };
  /** Fastify's request id; Express has none. */
  id?: unknown;
  /** Set by the guards: the verified access token, or on refresh and logout the refresh token. */
  user?: AuthenticatedUser | PresentedRefreshToken;
}

/**
 * What the library touches of a response: Express's `res` is a Node `ServerResponse`, Fastify's
 * reply wraps one as `raw`. Headers and cookies go through Nest's HTTP adapter instead.
 */
export type HttpResponse = object;

/** The Node response underneath, for its status and its `finish` event. */
export function nodeResponse(response: HttpResponse): {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
} {
  const raw = (response as { raw?: unknown }).raw;
  return (raw ?? response) as ReturnType<typeof nodeResponse>;
}

/** The request's path, without its query. */
export function pathOf(request: HttpRequest): string {
  const url = request.originalUrl ?? request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** A header's value when it was sent once; a repeated header is none. */
export function headerOf(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
