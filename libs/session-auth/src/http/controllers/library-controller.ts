import { applyDecorators, Controller, UseFilters, UsePipes, VERSION_NEUTRAL } from '@nestjs/common';
import { SessionAuthExceptionFilter } from '../errors/exception.filter';
import { createContractValidationPipe } from '../validation';

/**
 * A controller of the library: its routes answer every failure in the contract's shape and
 * validate bodies as the contract says, whatever global filters and pipes the app has or lacks,
 * and stay at their paths whatever versioning the app enables (a `defaultVersion` would otherwise
 * move them under `/v1`, away from the refresh cookie's path and the contract's).
 */
export function LibraryController(path: string): ClassDecorator {
  return applyDecorators(
    Controller({ path, version: VERSION_NEUTRAL }),
    UseFilters(SessionAuthExceptionFilter),
    UsePipes(createContractValidationPipe()),
  );
}
