import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { type AuthenticatedUser, UsersService } from '@session-service/nestjs/internal';
import { SecurityEventDto } from './dto/security-event.dto';
import { UserDto } from './dto/user.dto';

@ApiTags('users')
@Auth()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'The stored profile of the signed-in user' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentUser() user: AuthenticatedUser): Promise<UserDto> {
    return UserDto.from(await this.users.profile(user.id));
  }

  @Get('security-events')
  @ApiOperation({ summary: "The user's last 50 security events, newest first" })
  @ApiOkResponse({ type: [SecurityEventDto] })
  async securityEvents(@CurrentUser() user: AuthenticatedUser): Promise<SecurityEventDto[]> {
    return (await this.users.securityEvents(user.id)).map(SecurityEventDto.from);
  }
}
