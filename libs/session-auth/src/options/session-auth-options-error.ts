/** What an error message shows instead of a secret, or of a URL that may hold a password. */
export const HIDDEN_VALUE = '(hidden)';

/**
 * An option `SessionAuthModule` cannot start with. `option` is its path (`keys.privateKey`),
 * `accepts` says what it takes, and `value` is what was given, ready to print: `(hidden)` for
 * secrets, undefined when the option was missing.
 */
export class SessionAuthOptionsError extends Error {
  constructor(
    readonly option: string,
    readonly accepts: string,
    readonly value?: string,
  ) {
    super(
      value === undefined
        ? `SessionAuthModule: option ${option} is required: ${accepts}`
        : `SessionAuthModule: option ${option}=${JSON.stringify(truncate(value))} is invalid: ${accepts}`,
    );
    this.name = 'SessionAuthOptionsError';
  }
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
