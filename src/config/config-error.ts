/** A configuration value the service cannot start with; its message is the one line an operator reads. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly accepts: string,
    value?: string,
  ) {
    super(
      value === undefined
        ? `Configuration error: ${variable} is required: ${accepts}`
        : `Configuration error: ${variable}=${JSON.stringify(truncate(value))} is invalid: ${accepts}`,
    );
    this.name = 'ConfigError';
  }
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
