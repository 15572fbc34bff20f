import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * How many of the most common passwords are refused. The list is zxcvbn-ts's (npm package
 * `@zxcvbn-ts/language-common`, MIT), ranked by how often each password appears in public breach
 * corpora, most common first; the first 10,000 are taken.
 */
export const COMMON_PASSWORD_COUNT = 10_000;

let commonPasswords: ReadonlySet<string> | null = null;

/** Compared case-insensitively: `Password1` is as guessable as `password1`. */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    dictionary['passwords-common']
      .slice(0, COMMON_PASSWORD_COUNT)
      .map((entry) => entry.toLowerCase()),
  );
  return commonPasswords.has(password.toLowerCase());
}

export function isTheEmail(password: string, email: string): boolean {
  return password.toLowerCase() === email.trim().toLowerCase();
}

export const COMMON_PASSWORD_MESSAGE = 'is one of the 10,000 most common passwords: choose another';
export const EMAIL_PASSWORD_MESSAGE = 'must not be the email address';
