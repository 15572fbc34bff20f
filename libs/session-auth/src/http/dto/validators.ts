import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';
import {
  COMMON_PASSWORD_MESSAGE,
  EMAIL_PASSWORD_MESSAGE,
  isCommonPassword,
  isTheEmail,
} from '../../users/builtin/password-policy';

/** Trims and lower-cases strings (emails); leaves other types for the validators to refuse. */
export const NormalizeEmail = (): PropertyDecorator =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

/** Length in characters (code points), so that every character a person typed counts once. */
export function CharacterLength(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'characterLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const length = [...value].length;
          return length >= min && length <= max;
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be from ${min} to ${max} characters long`,
      },
    },
    options,
  );
}

/** Refuses control characters (NUL, escapes, bidi overrides): never part of a name a person types. */
export function NoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !CONTROL.test(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must not contain control characters`,
      },
    },
    options,
  );
}

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

/** C0/C1 controls, and the bidirectional overrides that make text display other than it reads. */
const CONTROL = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
