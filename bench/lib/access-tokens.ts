/**
 * Access tokens for sessions seeded in SQL, as the service would mint them at a refresh: the same
 * private key, the header (`alg`, `kid`, `typ`) and the `iss`, `aud` and lifetime of a token the
 * service itself issued, `sub`, `sid`, `roles` and `auth_time` from the session, a fresh `jti`,
 * `iat` now and `exp` at the earlier of the lifetime's end and the session's absolute end.
 *
 * Signed with node:crypto (ES256, the signature as the IEEE P1363 pair JWS uses): jose signs
 * through WebCrypto at ~340 µs a token on this machine, 17 s for 50,000; node:crypto takes ~40 µs.
 */
import { createPrivateKey, KeyObject, randomUUID, sign } from 'node:crypto';
import type { LiveSession } from './population';

/** What the service's own token says that a minted one copies. */
interface Template {
  header: { alg: string; kid: string; typ: string };
  iss: string;
  aud: string | string[];
  lifetimeSeconds: number;
}

export class AccessTokenMinter {
  private readonly key: KeyObject;
  private readonly template: Template;

  /** `issued` is an access token the service signed with `privateKeyPem` (e.g. at registration). */
  constructor(privateKeyPem: string, issued: string) {
    this.key = createPrivateKey(privateKeyPem);
    this.template = templateOf(issued);
    if (this.template.header.alg !== 'ES256') {
      throw new Error(
        `access tokens: expected ES256, the service signs ${this.template.header.alg}`,
      );
    }
  }

  /** One fresh token per session, in order. */
  mint(sessions: readonly LiveSession[]): string[] {
    const header = encode(this.template.header);
    const iat = Math.floor(Date.now() / 1000);
    return sessions.map((session) => {
      // The claims in the service's order (AccessTokens.sign), so that the tokens match in size.
      const payload = encode({
        sid: session.sessionId,
        roles: session.roles,
        iss: this.template.iss,
        aud: this.template.aud,
        sub: session.userId,
        jti: randomUUID(),
        iat,
        exp: Math.min(iat + this.template.lifetimeSeconds, session.absoluteEnd),
        auth_time: session.authTime,
      });
      const input = `${header}.${payload}`;
      const signature = sign('sha256', Buffer.from(input), {
        key: this.key,
        dsaEncoding: 'ieee-p1363',
      });
      return `${input}.${signature.toString('base64url')}`;
    });
  }
}

function templateOf(token: string): Template {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map(
      (part) =>
        JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
    );
  return {
    header: { alg: String(header.alg), kid: String(header.kid), typ: String(header.typ) },
    iss: String(payload.iss),
    aud: payload.aud as string | string[],
    lifetimeSeconds: Number(payload.exp) - Number(payload.iat),
  };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
