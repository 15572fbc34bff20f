import request, { Response } from 'supertest';
import { PASSWORD, uniqueEmail } from '../factories/users';

export const ACCESS_COOKIE = '__Host-access_token';
export const REFRESH_COOKIE = '__Secure-refresh_token';
export const CSRF_COOKIE = '__Host-csrf_token';

export interface Cookie {
  value: string;
  attributes: string[];
}

/** The Set-Cookie headers of a response, by cookie name. */
export function cookiesOf(response: Response): Record<string, Cookie> {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookies: Record<string, Cookie> = {};
  for (const line of header ?? []) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const index = pair.indexOf('=');
    cookies[pair.slice(0, index)] = { value: pair.slice(index + 1), attributes };
  }
  return cookies;
}

/** A minimal browser: keeps the cookies with their paths, sends them back, reads the CSRF one. */
export class Jar {
  cookies: Record<string, string> = {};
  /** Each cookie's `Path` attribute as it was set. */
  private readonly paths: Record<string, string> = {};
  take(response: Response): void {
    for (const [name, cookie] of Object.entries(cookiesOf(response))) {
      if (cookie.attributes.includes('Max-Age=0')) {
        delete this.cookies[name];
        continue;
      }
      this.cookies[name] = cookie.value;
      const path = cookie.attributes.find((attribute) => attribute.startsWith('Path='));
      this.paths[name] = path ? path.slice(5) : '/';
    }
  }
  /**
   * The Cookie header a browser sends to `path`: the cookies whose path covers it, longer cookie
   * paths first, as RFC 6265 orders them (the refresh cookie, Path=/auth, before the Path=/ ones).
   */
  header(path = '/'): string {
    return Object.entries(this.cookies)
      .map(([name, value]) => ({ name, value, scope: this.paths[name] ?? '/' }))
      .filter(({ scope }) => pathMatches(path, scope))
      .sort((a, b) => b.scope.length - a.scope.length)
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
  get csrf(): string {
    return this.cookies[CSRF_COOKIE];
  }
}

/** RFC 6265 §5.1.4: a cookie's path covers itself and the paths below it. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  return (
    requestPath === cookiePath ||
    (requestPath.startsWith(cookiePath) &&
      (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'))
  );
}

/** A new account signed in with the cookie transport: its browser's jar and the answer's body. */
export async function signInWithCookies(
  url: string,
): Promise<{ jar: Jar; body: Record<string, unknown>; response: Response }> {
  const response = await request(url)
    .post('/auth/register')
    .set('X-Auth-Transport', 'cookie')
    .send({ email: uniqueEmail('browser'), password: PASSWORD })
    .expect(201);
  const jar = new Jar();
  jar.take(response);
  return { jar, body: response.body, response };
}

/** The session id a token names (decoded only). */
export function sessionIdOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sid;
}
