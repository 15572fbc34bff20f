import { dictionary } from '@zxcvbn-ts/language-common';
import { ValidateBy, ValidationOptions } from 'class-validator';

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

/** Refuses the 10,000 most common passwords. */
export function NotCommonPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notCommonPassword',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !isCommonPassword(value),
        defaultMessage: (args) => `${args?.property ?? 'password'} ${COMMON_PASSWORD_MESSAGE}`,
      },
    },
    options,
  );
}

/** Refuses a password equal (ignoring case) to the email field of the same object. */
export function NotTheEmail(emailField: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notTheEmail',
      constraints: [emailField],
      validator: {
        validate: (value: unknown, args) => {
          const email = (args?.object as Record<string, unknown> | undefined)?.[emailField];
          return (
            typeof value !== 'string' || typeof email !== 'string' || !isTheEmail(value, email)
          );
        },
        defaultMessage: (args) => `${args?.property ?? 'password'} ${EMAIL_PASSWORD_MESSAGE}`,
      },
    },
    options,
  );
}
