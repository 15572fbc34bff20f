import { createHmac, KeyObject, sign, timingSafeEqual } from 'node:crypto';

export type JwsAlgorithm = 'HS256' | 'ES256' | 'EdDSA';

/**
 * Compact JWS with node:crypto, synchronously. jose 6 works through WebCrypto, whose jobs cost
 * this service 100 to 200 µs of CPU per token on Node 20, against 5 to 35 µs here; every sign-in
 * and refresh signs two tokens, and every refresh verifies one. Access tokens, which other parties
 * may verify too, are still verified by jose.
 */

/**
 * Signs with jose's own serialisation (JSON of the header and of the claims in the order given,
 * UTF-8, base64url without padding), so that an HS256 token signed again from the same claims, as
 * the grace window does, is byte for byte the one first issued, whichever of the two signed it.
 */
export function signJws(
  header: { alg: JwsAlgorithm } & Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject,
): string {
  const input = `${encodedHeader(header)}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${signature(header.alg, key, input).toString('base64url')}`;
}

/**
 * The encoded form of each frozen header signed with: the library signs every token of a kind
 * under one frozen header object (see RefreshTokens, AccessTokens), which is encoded once. A
 * header that is not frozen may change between calls, and is encoded each time.
 */
const encodedHeaders = new WeakMap<object, string>();

function encodedHeader(header: object): string {
  if (!Object.isFrozen(header)) return base64url(JSON.stringify(header));
  let encoded = encodedHeaders.get(header);
  if (encoded === undefined) {
    encoded = base64url(JSON.stringify(header));
    encodedHeaders.set(header, encoded);
  }
  return encoded;
}

/**
 * Checks the HMAC-SHA256 of a compact JWS before reading anything in it, and only then decodes its
 * header and claims; null for anything malformed or not signed with `key`. What the header and the
 * claims must say is the caller's to check.
 */
export function verifyHs256(
  token: string,
  key: KeyObject,
): { header: Readonly<Record<string, unknown>>; claims: Record<string, unknown> } | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const [header, claims, mac] = parts;
  const expected = createHmac('sha256', key).update(`${header}.${claims}`).digest();
  const given = Buffer.from(mac, 'base64url');
  // The re-encoding test refuses a second spelling of the same MAC (stray trailing bits).
  if (given.length !== expected.length || given.toString('base64url') !== mac) return null;
  if (!timingSafeEqual(given, expected)) return null;
  const decodedHeader = decodeHeader(header);
  const decodedClaims = decodeObject(claims);
  return decodedHeader && decodedClaims ? { header: decodedHeader, claims: decodedClaims } : null;
}

/**
 * The last header part decoded, and its value, frozen: the tokens of one kind share one header,
 * so that nearly every verification finds its header here. The value depends on the part's text
 * alone, whatever key signed it.
 */
let lastHeader: { part: string; value: Readonly<Record<string, unknown>> } | null = null;

function decodeHeader(part: string): Readonly<Record<string, unknown>> | null {
  if (lastHeader?.part === part) return lastHeader.value;
  const value = decodeObject(part);
  if (value) lastHeader = { part, value: Object.freeze(value) };
  return value;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** `input` is ASCII (base64url and a dot), so its UTF-8 bytes are its characters. */
function signature(alg: JwsAlgorithm, key: KeyObject, input: string): Buffer {
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(input, 'utf8').digest();
    case 'ES256':
      // JWS wants the raw r || s pair, not DER.
      return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, Buffer.from(input), key);
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decodeObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
