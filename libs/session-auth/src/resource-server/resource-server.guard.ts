import { Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { AccessGuard } from '../http/access-guard';
import { RemoteAuthenticator } from './remote-authenticator';
import { ResolvedResourceServerOptions } from './resource-server-options';

/**
 * The one guard of the app's routes under `ResourceServerModule`: the same decorators and the
 * same refusals as `SessionAuthGuard`, with access tokens checked against the service's JWK Set
 * and its revocation feed.
 */
@Injectable()
export class ResourceServerGuard extends AccessGuard {
  constructor(
    reflector: Reflector,
    adapterHost: HttpAdapterHost,
    options: ResolvedResourceServerOptions,
    authenticator: RemoteAuthenticator,
  ) {
    super(reflector, adapterHost, options, authenticator);
  }
}
