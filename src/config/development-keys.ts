import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ConfiguredKeys {
  privateKey?: string;
  refreshTokenSecret?: string;
}

/**
 * Outside production, fills in a missing signing key or refresh secret with one generated once and
 * kept under DATA_DIR, so that tokens survive a restart. Production gets no fallback: the missing
 * key stays missing and the library refuses it, naming the variable.
 */
export function withDevelopmentKeys(
  keys: ConfiguredKeys,
  production: boolean,
  dataDir: string,
): ConfiguredKeys {
  if (production) return keys;
  return {
    privateKey:
      keys.privateKey ?? developmentKey(dataDir, 'access-private.pem', generatePrivateKey),
    refreshTokenSecret:
      keys.refreshTokenSecret ?? developmentKey(dataDir, 'refresh-secret', generateSecret),
  };
}

function generatePrivateKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function generateSecret(): string {
  return randomBytes(48).toString('base64url');
}

function developmentKey(dataDir: string, name: string, generate: () => string): string {
  const dir = join(dataDir, 'keys');
  const file = join(dir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value = generate();
  // Written whole under a name of this process's own, then linked into place: the key appears
  // with all of its content at once, so a process starting beside this one never reads it half
  // written (or empty), and link's EEXIST means another process's key won: use that one.
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(draft, value, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8');
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return value;
}
