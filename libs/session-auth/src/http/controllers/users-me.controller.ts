import { Delete, Get, HttpCode, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser, ClientInfo } from '../../core/types';
import { AuthService, type SecurityEventView } from '../../domain/auth.service';
import { Client } from '../client-info';
import { SessionCookies } from '../cookies';
import { Auth, CurrentUser, RecentAuth } from '../decorators';
import { SecurityEventDto } from '../dto/security-event.dto';
import { UserDto } from '../dto/user.dto';
import type { HttpResponse } from '../request';
import { LibraryController } from './library-controller';

@ApiTags('users')
@Auth()
@LibraryController('users/me')
export class UsersMeController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  @ApiOperation({ summary: 'The stored profile of the signed-in user' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentUser() user: AuthenticatedUser): Promise<UserDto> {
    return UserDto.from(await this.auth.profile(user.id));
  }

  @Get('security-events')
  @ApiOperation({ summary: "The user's last 50 security events, newest first" })
  @ApiOkResponse({ type: [SecurityEventDto] })
  securityEvents(@CurrentUser() user: AuthenticatedUser): Promise<SecurityEventView[]> {
    return this.auth.securityEvents(user.id);
  }
}

/** Deleting the account: mounted with the built-in accounts only (an app deletes its own users). */
@ApiTags('users')
@LibraryController('users/me')
export class AccountDeletionController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: SessionCookies,
  ) {}

  @Delete()
  @HttpCode(204)
  @RecentAuth()
  @ApiOperation({
    summary: 'Delete the account',
    description:
      'Needs a recent sign-in (`REAUTH_MAX_AGE`). Every session is revoked, on every instance, ' +
      'before the account, its sessions and its security events are deleted; the email can ' +
      'register again.',
  })
  @ApiNoContentResponse()
  async delete(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    await this.auth.deleteAccount(user, client);
    this.cookies.clear(response);
  }
}
