import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../core/types';
import { AuthService, type SecurityEventView } from '../../domain/auth.service';
import { Auth, CurrentUser } from '../decorators';
import { SecurityEventDto } from '../dto/security-event.dto';
import { UserDto } from '../dto/user.dto';
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
