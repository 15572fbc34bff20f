import { randomBytes } from 'node:crypto';
import request from 'supertest';

export interface TokenResponse {
  tokenType: 'Bearer';
  accessToken: string;
  expiresIn: number;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  sessionId: string;
  user: {
    id: string;
    email: string;
    displayName: string | null;
    roles: string[];
    createdAt: string;
  };
}

export interface TestUser {
  email: string;
  password: string;
  tokens: TokenResponse;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

export const PASSWORD = 'Correct-Horse-Battery-9';

/** Registers a new account through the API and returns its first session's tokens. */
export async function registerUser(
  baseUrl: string,
  fields: { email?: string; password?: string; displayName?: string } = {},
): Promise<TestUser> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? PASSWORD;
  const response = await request(baseUrl)
    .post('/auth/register')
    .send({ email, password, ...(fields.displayName ? { displayName: fields.displayName } : {}) })
    .expect(201);
  return { email, password, tokens: response.body as TokenResponse };
}

/** Signs in again: a second, independent session of the same user. */
export async function login(baseUrl: string, user: Pick<TestUser, 'email' | 'password'>) {
  const response = await request(baseUrl)
    .post('/auth/login')
    .send({ email: user.email, password: user.password })
    .expect(200);
  return response.body as TokenResponse;
}

export function refresh(baseUrl: string, refreshToken: string) {
  return request(baseUrl).post('/auth/refresh').send({ refreshToken });
}

export function me(baseUrl: string, accessToken: string) {
  return request(baseUrl).get('/auth/me').set('Authorization', `Bearer ${accessToken}`);
}

/**
 * Asks `GET /auth/me` with the token until it is refused, or until `withinMs` have passed since
 * `since` (a revoking request's answer, say); the last answer, for the caller to judge.
 */
export async function meUntilRefused(
  baseUrl: string,
  accessToken: string,
  withinMs: number,
  since = Date.now(),
  everyMs = 20,
): Promise<request.Response> {
  let response = await me(baseUrl, accessToken);
  while (response.status === 200 && Date.now() - since < withinMs) {
    await sleep(everyMs);
    response = await me(baseUrl, accessToken);
  }
  return response;
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
