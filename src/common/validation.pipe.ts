import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, FieldError } from './errors/app-error';

/** Flattens nested class-validator errors into `{ field: 'a.b', messages }` entries. */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

/** The global pipe: unknown fields are refused, payloads become DTO instances. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new AppError(HttpStatus.BAD_REQUEST, 'validation_failed', 'The request is not valid.', {
        errors: toFieldErrors(errors),
      }),
  });
}
