import { Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { AccessGuard } from './access-guard';
import { AccessTokenStrategy } from './strategies';

/**
 * The one guard of the app's routes under `SessionAuthModule`: the access token (Bearer or the
 * access cookie), checked by the access strategy against this service's keys and its revoked set.
 */
@Injectable()
export class SessionAuthGuard extends AccessGuard {
  constructor(
    reflector: Reflector,
    adapterHost: HttpAdapterHost,
    options: ResolvedSessionAuthOptions,
    strategy: AccessTokenStrategy,
  ) {
    super(reflector, adapterHost, options, strategy);
  }
}
