import { applyDecorators, Controller, UseFilters, UsePipes } from '@nestjs/common';
import { SessionAuthExceptionFilter } from '../errors/exception.filter';
import { createContractValidationPipe } from '../validation';

/**
 * A controller of the library: its routes answer every failure in the contract's shape and
 * validate bodies as the contract says, whatever global filters and pipes the app has or lacks.
 */
export function LibraryController(path: string): ClassDecorator {
  return applyDecorators(
    Controller(path),
    UseFilters(SessionAuthExceptionFilter),
    UsePipes(createContractValidationPipe()),
  );
}
