import { Delete, Get, HttpCode, Param, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser, ClientInfo } from '../../core/types';
import { SessionsService } from '../../domain/sessions/sessions.service';
import { Auth, CurrentUser } from '../decorators';
import { Client } from '../client-info';
import { SessionCookies } from '../cookies';
import { ErrorResponseDto } from '../dto/error-response.dto';
import { SessionDto } from '../dto/session.dto';
import type { HttpResponse } from '../request';
import { LibraryController } from './library-controller';

@ApiTags('sessions')
@Auth()
@LibraryController('sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly cookies: SessionCookies,
  ) {}

  @Get()
  @ApiOperation({ summary: "The signed-in user's live sessions, newest first" })
  @ApiOkResponse({ type: [SessionDto] })
  async list(@CurrentUser() user: AuthenticatedUser): Promise<SessionDto[]> {
    return this.sessions.list(user.id, user.sessionId);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out everywhere else: revoke every other session' })
  @ApiNoContentResponse()
  async revokeOthers(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.sessions.revokeAllOfUser(
      user.id,
      'revoked_by_user',
      'session_revoked',
      client,
      user.sessionId,
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of your sessions' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'session_not_found' })
  async revokeOne(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id') id: string,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    const session = await this.sessions.findOwned(id, user.id);
    await this.sessions.revokeOne(session.id, user.id, 'revoked_by_user', client);
    // Revoking the session this browser signs in with is signing out here.
    if (session.id === user.sessionId) this.cookies.clear(response);
  }
}
