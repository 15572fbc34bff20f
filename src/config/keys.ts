import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error';

export type AccessAlgorithm = 'ES256' | 'EdDSA';

export interface AccessVerificationKey {
  kid: string;
  alg: AccessAlgorithm;
  key: KeyObject;
  jwk: Record<string, string>;
}

export interface KeyMaterial {
  /** Signs access tokens; its public half is also the first entry of `accessVerification`. */
  accessSigning: { kid: string; alg: AccessAlgorithm; key: KeyObject };
  /** Every public key an access token may be verified with, by `kid`. */
  accessVerification: Map<string, AccessVerificationKey>;
  /** HMAC key for refresh tokens: never the access key, never usable to verify an access token. */
  refreshSecret: KeyObject;
  /** Keyed-hash secret binding CSRF values to sessions, derived from the refresh secret. */
  csrfSecret: Buffer;
  /** Keys the login-lockout counters, so that a stored key tells no one which email it counts. */
  lockoutSecret: Buffer;
  /** Signs device cookies, which bind a browser to an account it signed in to. */
  deviceSecret: Buffer;
}

export interface KeySources {
  production: boolean;
  dataDir: string;
  privateKeyPem?: string;
  publicKeysPem?: string;
  refreshSecret?: string;
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;
const PRIVATE_KEY_ACCEPTS = 'a PEM private key, EC P-256 (ES256) or Ed25519 (EdDSA)';
const PUBLIC_KEYS_ACCEPTS = 'one or more PEM public keys, EC P-256 or Ed25519';
const SECRET_ACCEPTS = 'a secret of at least 32 bytes';

/**
 * Resolves the service's keys: explicit values when given, otherwise (outside production) keys
 * generated once and kept under DATA_DIR so that tokens survive a restart.
 */
export function loadKeyMaterial(sources: KeySources): KeyMaterial {
  const privateKeyPem = sources.privateKeyPem ?? developmentKey(sources, 'JWT_PRIVATE_KEY');
  const secret = sources.refreshSecret ?? developmentKey(sources, 'REFRESH_TOKEN_SECRET');

  const signingKey = parsePrivateKey(privateKeyPem);
  const signing = describePublicKey(
    createPublicKey(signingKey),
    'JWT_PRIVATE_KEY',
    PRIVATE_KEY_ACCEPTS,
  );
  const verification = new Map<string, AccessVerificationKey>([[signing.kid, signing]]);
  for (const pem of splitPem(sources.publicKeysPem ?? '')) {
    const older = describePublicKey(parsePublicKey(pem), 'JWT_PUBLIC_KEYS', PUBLIC_KEYS_ACCEPTS);
    if (!verification.has(older.kid)) verification.set(older.kid, older);
  }

  if (Buffer.byteLength(secret, 'utf8') < 32) {
    throw new ConfigError('REFRESH_TOKEN_SECRET', SECRET_ACCEPTS, '(hidden)');
  }
  const secretBytes = Buffer.from(secret, 'utf8');
  return {
    accessSigning: { kid: signing.kid, alg: signing.alg, key: signingKey },
    accessVerification: verification,
    refreshSecret: createSecretKey(
      Buffer.from(hkdfSync('sha256', secretBytes, '', 'refresh-token', 32)),
    ),
    csrfSecret: Buffer.from(hkdfSync('sha256', secretBytes, '', 'csrf-token', 32)),
    lockoutSecret: Buffer.from(hkdfSync('sha256', secretBytes, '', 'login-lockout', 32)),
    deviceSecret: Buffer.from(hkdfSync('sha256', secretBytes, '', 'device-cookie', 32)),
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

function developmentKey(sources: KeySources, variable: string): string {
  if (sources.production) {
    throw new ConfigError(
      variable,
      variable === 'JWT_PRIVATE_KEY' ? PRIVATE_KEY_ACCEPTS : SECRET_ACCEPTS,
    );
  }
  const dir = join(sources.dataDir, 'keys');
  const file = join(dir, variable === 'JWT_PRIVATE_KEY' ? 'access-private.pem' : 'refresh-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value =
    variable === 'JWT_PRIVATE_KEY'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString()
      : randomBytes(48).toString('base64url');
  // 'wx' so that two processes starting together never overwrite each other's key.
  try {
    writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8');
    throw error;
  }
  return value;
}

function splitPem(text: string): string[] {
  return normalisePem(text).match(PEM_BLOCK) ?? [];
}

/** Environment variables often carry PEMs with literal `\n`; accept both forms. */
function normalisePem(text: string): string {
  return text.replace(/\\n/g, '\n');
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(normalisePem(pem));
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY', PRIVATE_KEY_ACCEPTS, '(hidden)');
  }
}

function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEYS', PUBLIC_KEYS_ACCEPTS, pem);
  }
}

function describePublicKey(
  key: KeyObject,
  variable: string,
  accepts: string,
): AccessVerificationKey {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  let alg: AccessAlgorithm;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ES256';
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') alg = 'EdDSA';
  else throw new ConfigError(variable, accepts, `${jwk.kty} ${jwk.crv ?? ''} key`);
  const kid = jwkThumbprint(jwk);
  return { kid, alg, key, jwk: { ...jwk, kid, alg, use: 'sig' } };
}
