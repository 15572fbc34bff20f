import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../common/client-info';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { UserDto } from '../users/dto/user.dto';
import { AuthService, IssuedTokens } from './auth.service';
import { Auth } from './decorators/auth.decorator';
import { CurrentUser } from './decorators/current-user.decorator';
import { Public } from './decorators/public.decorator';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/credentials.dto';
import { MeDto, TokenResponseDto } from './dto/token-response.dto';
import { LogoutGuard } from './guards/logout.guard';
import { RefreshTokenGuard } from './guards/refresh-token.guard';
import { RateLimit } from './decorators/rate-limit.decorator';
import type { AuthenticatedUser, PresentedRefreshToken } from './tokens/token.types';

const TRANSPORT_HEADER = {
  name: 'X-Auth-Transport',
  required: false,
  enum: ['body', 'cookie'],
  description: '`body` (default): tokens in the JSON body. `cookie`: httpOnly cookies.',
};

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json' })
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @RateLimit()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an account and sign in' })
  @ApiHeader(TRANSPORT_HEADER)
  @ApiCreatedResponse({ type: TokenResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'email_taken' })
  async register(
    @Body() body: RegisterDto,
    @Client() client: ClientInfo,
  ): Promise<TokenResponseDto> {
    return toResponse(await this.auth.register(body, client));
  }

  @Public()
  @Post('login')
  @RateLimit()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: starts a session' })
  @ApiHeader(TRANSPORT_HEADER)
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'invalid_credentials' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'service_unavailable' })
  async login(@Body() body: LoginDto, @Client() client: ClientInfo): Promise<TokenResponseDto> {
    return toResponse(await this.auth.login(body, client));
  }

  @Public()
  @UseGuards(RefreshTokenGuard)
  @Post('refresh')
  @RateLimit('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description:
      'The presented token becomes used and a successor is issued. Presenting a used token ' +
      'again after the grace window revokes the whole session.',
  })
  @ApiBody({ type: RefreshDto, required: false })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({
    type: ErrorResponseDto,
    description:
      'refresh_token_missing, refresh_token_invalid, refresh_token_expired, ' +
      'refresh_token_reused, session_revoked, session_expired',
  })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'service_unavailable' })
  async refresh(
    @CurrentUser() token: PresentedRefreshToken,
    @Body() _body: RefreshDto,
    @Client() client: ClientInfo,
  ): Promise<TokenResponseDto> {
    return toResponse(await this.auth.refresh(token, client));
  }

  @Public()
  @UseGuards(LogoutGuard)
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out: revoke this session',
    description: 'Takes the refresh token (body or cookie) or, failing that, the access token.',
  })
  @Auth()
  @ApiBody({ type: RefreshDto, required: false })
  @ApiNoContentResponse()
  async logout(
    @CurrentUser() principal: AuthenticatedUser | PresentedRefreshToken,
    @Body() _body: RefreshDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    const userId = 'userId' in principal ? principal.userId : principal.id;
    await this.auth.logout(userId, principal.sessionId, client);
  }

  @Post('logout-all')
  @HttpCode(204)
  @Auth()
  @ApiOperation({ summary: 'Sign out everywhere: revoke every session of the user' })
  @ApiNoContentResponse()
  async logoutAll(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.auth.logoutAll(user.id, client);
  }

  @Post('password')
  @RateLimit()
  @HttpCode(204)
  @Auth()
  @ApiOperation({ summary: 'Change the password; every other session is revoked' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'invalid_credentials' })
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.auth.changePassword(
      user.id,
      user.sessionId,
      body.currentPassword,
      body.newPassword,
      client,
    );
  }

  @Get('me')
  @Auth()
  @ApiOperation({
    summary: 'Who the access token says you are',
    description: 'Answered from the verified token alone: no database read.',
  })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: AuthenticatedUser): MeDto {
    return {
      id: user.id,
      roles: user.roles,
      sessionId: user.sessionId,
      expiresAt: user.expiresAt.toISOString(),
    };
  }
}

function toResponse(issued: IssuedTokens): TokenResponseDto {
  return {
    tokenType: 'Bearer',
    accessToken: issued.accessToken,
    expiresIn: issued.expiresIn,
    accessTokenExpiresAt: issued.accessTokenExpiresAt.toISOString(),
    refreshToken: issued.refreshToken,
    refreshTokenExpiresAt: issued.refreshTokenExpiresAt.toISOString(),
    sessionId: issued.sessionId,
    user: UserDto.from(issued.user as never),
  };
}
