import { Delete, Get, HttpCode, Inject, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { SessionAuthError } from '../../core/errors';
import type { ClientInfo } from '../../core/types';
import { SESSION_AUTH_USERS, type SessionAuthUsers } from '../../core/users';
import { isUuid } from '../../core/uuid';
import { SessionsService } from '../../domain/sessions/sessions.service';
import { Roles } from '../decorators';
import { Client } from '../client-info';
import { ErrorResponseDto } from '../dto/error-response.dto';
import { SessionDto } from '../dto/session.dto';
import { LibraryController } from './library-controller';

@ApiTags('admin')
@Roles('admin')
@LibraryController('admin/users/:id/sessions')
export class AdminSessionsController {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(SESSION_AUTH_USERS) private readonly users: SessionAuthUsers,
  ) {}

  @Get()
  @ApiOperation({ summary: "A user's live sessions (admin)" })
  @ApiOkResponse({ type: [SessionDto] })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'not_found: no such user' })
  async list(@Param('id') userId: string): Promise<SessionDto[]> {
    await this.requireUser(userId);
    return this.sessions.list(userId, null);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke every session of a user (admin)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'not_found: no such user' })
  async revokeAll(@Param('id') userId: string, @Client() client: ClientInfo): Promise<void> {
    await this.requireUser(userId);
    await this.sessions.revokeAllOfUser(userId, 'admin', 'session_revoked', client);
  }

  private async requireUser(userId: string): Promise<void> {
    if (!isUuid(userId) || !(await this.users.findById(userId))) {
      throw new SessionAuthError('not_found', 'There is no such user.');
    }
  }
}
