import { Injectable, OnModuleInit } from '@nestjs/common';

type Argon2 = typeof import('argon2');

/**
 * OWASP's argon2id baseline: 19 MiB of memory, two passes, one lane. `type` is argon2's own value
 * for argon2id, written out so that this constant loads without argon2 (the benchmark imports it).
 */
export const ARGON2_OPTIONS = {
  type: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

let loading: Promise<Argon2> | undefined;

/**
 * Loads argon2 on first use, so that an app with its own accounts, or one that only verifies
 * tokens, need not install it: the package declares it an optional peer dependency.
 */
function argon2(): Promise<Argon2> {
  loading ??= import('argon2').catch((error: unknown) => {
    loading = undefined;
    throw new Error('The built-in accounts hash passwords with argon2: npm install argon2', {
      cause: error,
    });
  });
  return loading;
}

@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Verified against when the email is unknown, so that both failures cost the same. */
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash('dummy password that never matches anything');
  }

  async hash(password: string): Promise<string> {
    return (await argon2()).hash(password, ARGON2_OPTIONS);
  }

  /** Verifies against the stored hash, or against the dummy one when there is no user. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const { verify } = await argon2();
    try {
      const matches = await verify(hash ?? this.dummyHash, password);
      return matches && hash !== null;
    } catch {
      // A stored value that is not a valid hash never matches.
      return false;
    }
  }

  /** True for hashes made with weaker (or other) parameters: re-hash at the next good login. */
  async needsRehash(hash: string): Promise<boolean> {
    return (await argon2()).needsRehash(hash, ARGON2_OPTIONS);
  }
}
