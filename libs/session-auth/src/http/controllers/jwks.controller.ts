import { Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwkSet, type JwkSetDocument } from '../../domain/tokens/jwk-set';
import { Public } from '../decorators';
import { LibraryController } from './library-controller';

@ApiTags('keys')
@Public()
@LibraryController('.well-known')
export class JwksController {
  constructor(private readonly jwkSet: JwkSet) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The public keys that verify access tokens (current and still trusted)',
  })
  @ApiOkResponse({
    schema: {
      example: {
        keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }],
      },
    },
  })
  jwks(): JwkSetDocument {
    return this.jwkSet.document;
  }
}
