import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { Client, ClientInfo } from '../common/client-info';
import { SessionAuthError, SessionsService } from '@session-service/nestjs';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { isUuid, UsersRepository } from '@session-service/nestjs/internal';
import { SessionDto } from './dto/session.dto';

@ApiTags('admin')
@Roles('admin')
@Controller('admin/users/:id/sessions')
export class AdminSessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
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
