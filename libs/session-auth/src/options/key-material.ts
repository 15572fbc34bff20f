import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hkdfSync,
  KeyObject,
} from 'node:crypto';
import type { AccessAlgorithm, AccessVerificationKey, KeyMaterial } from '../core/resolved-options';
import type { SessionAuthKeys } from './session-auth-options';
import { HIDDEN_VALUE, SessionAuthOptionsError } from './session-auth-options-error';

export const PRIVATE_KEY_ACCEPTS = 'a PEM private key, EC P-256 (ES256) or Ed25519 (EdDSA)';
export const PUBLIC_KEYS_ACCEPTS = 'one or more PEM public keys, EC P-256 or Ed25519';
export const SECRET_ACCEPTS = 'a secret of at least 32 bytes';

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

/**
 * Turns the configured keys into what signing and verification use. The derivations (RFC 7638
 * `kid`, HKDF-SHA256 with these labels) must never change: tokens, CSRF values and device cookies
 * issued before a restart or an upgrade stay valid only as long as they give the same bytes.
 */
export function createKeyMaterial(keys: SessionAuthKeys): KeyMaterial {
  const signingKey = parsePrivateKey(keys.privateKey);
  const signing = describePublicKey(
    createPublicKey(signingKey),
    'keys.privateKey',
    PRIVATE_KEY_ACCEPTS,
  );
  const verification = new Map<string, AccessVerificationKey>([[signing.kid, signing]]);
  for (const key of parsePublicKeys(keys.publicKeys)) {
    const older = describePublicKey(key, 'keys.publicKeys', PUBLIC_KEYS_ACCEPTS);
    if (!verification.has(older.kid)) verification.set(older.kid, older);
  }

  const secret = secretBytes(keys.refreshTokenSecret);
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', secret, '', label, 32));
  return {
    accessSigning: { kid: signing.kid, alg: signing.alg, key: signingKey },
    accessVerification: verification,
    refreshSecret: createSecretKey(derive('refresh-token')),
    csrfSecret: derive('csrf-token'),
    lockoutSecret: derive('login-lockout'),
    deviceSecret: derive('device-cookie'),
  };
}

/** RFC 7638 JWK thumbprint: the `kid` every token names. */
export function jwkThumbprint(jwk: Record<string, string>): string {
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Environment variables often carry PEMs with literal `\n`; accept both forms. */
function normalisePem(text: string): string {
  return text.replace(/\\n/g, '\n');
}

function parsePrivateKey(value: unknown): KeyObject {
  if (value === undefined || value === null || value === '') {
    throw new SessionAuthOptionsError('keys.privateKey', PRIVATE_KEY_ACCEPTS);
  }
  if (value instanceof KeyObject) {
    if (value.type === 'private') return value;
  } else if (typeof value === 'string') {
    try {
      return createPrivateKey(normalisePem(value));
    } catch {
      // Reported below, without the key.
    }
  }
  throw new SessionAuthOptionsError('keys.privateKey', PRIVATE_KEY_ACCEPTS, HIDDEN_VALUE);
}

function parsePublicKeys(value: unknown): KeyObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new SessionAuthOptionsError('keys.publicKeys', PUBLIC_KEYS_ACCEPTS, describe(value));
  }
  return value.flatMap((entry: unknown): KeyObject[] => {
    if (entry instanceof KeyObject && entry.type === 'public') return [entry];
    if (typeof entry !== 'string') {
      throw new SessionAuthOptionsError('keys.publicKeys', PUBLIC_KEYS_ACCEPTS, describe(entry));
    }
    return (normalisePem(entry).match(PEM_BLOCK) ?? []).map((pem) => {
      try {
        return createPublicKey(pem);
      } catch {
        // A public key is no secret: showing it tells the operator which one is wrong.
        throw new SessionAuthOptionsError('keys.publicKeys', PUBLIC_KEYS_ACCEPTS, pem);
      }
    });
  });
}

function secretBytes(value: unknown): Buffer {
  if (value === undefined || value === null || value === '') {
    throw new SessionAuthOptionsError('keys.refreshTokenSecret', SECRET_ACCEPTS);
  }
  const bytes =
    typeof value === 'string'
      ? Buffer.from(value, 'utf8')
      : Buffer.isBuffer(value)
        ? value
        : undefined;
  if (!bytes || bytes.length < 32) {
    throw new SessionAuthOptionsError('keys.refreshTokenSecret', SECRET_ACCEPTS, HIDDEN_VALUE);
  }
  return bytes;
}

function describePublicKey(key: KeyObject, option: string, accepts: string): AccessVerificationKey {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  let alg: AccessAlgorithm;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ES256';
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') alg = 'EdDSA';
  else throw new SessionAuthOptionsError(option, accepts, `${jwk.kty} ${jwk.crv ?? ''} key`);
  const kid = jwkThumbprint(jwk);
  return { kid, alg, key, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
