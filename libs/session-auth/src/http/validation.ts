import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { type FieldError, SessionAuthError } from '../core/errors';

/** Flattens nested class-validator errors into `{ field: 'a.b', messages }` entries. */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

/** Deeper than any body this API takes; class-transformer recurses, so depth is bounded first. */
export const MAX_BODY_DEPTH = 32;
/** With the `u` flag a surrogate pair is one code point; only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Refuses, before any transformation, what the DTO validators are not built for: nesting deep
 * enough to exhaust the stack, and strings that are not Unicode text (lone UTF-16 surrogates,
 * which JSON's `\uD800` escapes can carry and which make `encodeURI`, inside the email validator,
 * throw).
 */
export function inspectBody(body: unknown): void {
  const illFormed: string[] = [];
  const pending: [unknown, string, number][] = [[body, '', 0]];
  while (pending.length > 0) {
    const [value, path, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) illFormed.push(path || 'body');
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_BODY_DEPTH) {
        throw new SessionAuthError(
          'malformed_json',
          `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`,
        );
      }
      for (const [key, child] of Object.entries(value)) {
        pending.push([child, path ? `${path}.${key}` : key, depth + 1]);
      }
    }
  }
  if (illFormed.length > 0) {
    throw new SessionAuthError('validation_failed', 'The request is not valid.', {
      errors: illFormed.map((field) => ({
        field,
        messages: [`${field} must be valid Unicode text`],
      })),
    });
  }
}

class ContractValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') inspectBody(value);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/**
 * The contract's validation: unknown fields are refused, payloads become DTO instances, failures
 * answer 400 `validation_failed` with every field's messages. The library's controllers use it;
 * an app may use it globally (the service does).
 */
export function createContractValidationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new SessionAuthError('validation_failed', 'The request is not valid.', {
        errors: toFieldErrors(errors),
      }),
  });
}
