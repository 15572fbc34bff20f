import { Body, Get, Headers, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
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
import { SessionAuthError } from '../../core/errors';
import type { AuthenticatedUser, ClientInfo, PresentedRefreshToken } from '../../core/types';
import { AuthService, type IssuedTokens } from '../../domain/auth.service';
import { SessionsService } from '../../domain/sessions/sessions.service';
import { Auth, type AuthenticatedRequest, CurrentUser, Public } from '../decorators';
import { Client, clientInfoOf } from '../client-info';
import { SessionCookies } from '../cookies';
import { deviceCookieOf } from '../credentials';
import {
  ChangePasswordDto,
  LoginDto,
  ReauthenticateDto,
  RefreshDto,
  RegisterDto,
} from '../dto/credentials.dto';
import { ErrorResponseDto } from '../dto/error-response.dto';
import { MeDto, ReauthenticateResponseDto, TokenResponseDto } from '../dto/token-response.dto';
import { UserDto } from '../dto/user.dto';
import { RateLimit } from '../rate-limit.guard';
import { LogoutGuard, RefreshTokenGuard } from '../refresh-token.guard';
import type { HttpRequest, HttpResponse } from '../request';
import { LibraryController } from './library-controller';
import { validateRefreshBody } from '../validation';

type Transport = 'body' | 'cookie';

const TRANSPORT_HEADER = {
  name: 'X-Auth-Transport',
  required: false,
  enum: ['body', 'cookie'],
  description: '`body` (default): tokens in the JSON body. `cookie`: httpOnly cookies.',
};

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json' })
@LibraryController('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly cookies: SessionCookies,
  ) {}

  @Public()
  @Post('login')
  @RateLimit('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: starts a session' })
  @ApiHeader(TRANSPORT_HEADER)
  @ApiOkResponse({
    type: TokenResponseDto,
    description:
      'Sets the `__Host-device` cookie: a browser that sends it back keeps its own allowance ' +
      'of failed sign-ins, whatever others try on the account.',
  })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'invalid_credentials' })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'service_unavailable' })
  async login(
    @Body() body: LoginDto,
    @Client() client: ClientInfo,
    @Headers('x-auth-transport') transport: string | undefined,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<TokenResponseDto> {
    const chosen = parseTransport(transport);
    const signedIn = await this.auth.login(body, client, deviceCookieOf(request));
    this.cookies.setDevice(response, signedIn.deviceCookie);
    return respond(this.cookies, response, signedIn.issued, chosen);
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
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<TokenResponseDto> {
    // The request, not `@CurrentUser()`, `@Body()` and `@Client()`: Nest runs the pipes on each of
    // those, and the refresh body is validated by hand (see validateRefreshBody).
    await validateRefreshBody(request.body);
    const token = request.user as PresentedRefreshToken;
    // A token sent in the body is answered in the body, even on a session begun with cookies.
    const transport = token.via === 'cookie' ? 'cookie' : 'body';
    const issued = await this.auth.refresh(token, clientInfoOf(request));
    return respond(this.cookies, response, issued, transport);
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
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    await this.auth.logout(principal, client);
    this.cookies.clear(response);
  }

  @Post('logout-all')
  @HttpCode(204)
  @Auth()
  @ApiOperation({ summary: 'Sign out everywhere: revoke every session of the user' })
  @ApiNoContentResponse()
  async logoutAll(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    await this.sessions.revokeAllOfUser(user.id, 'logout_all', 'logout_all', client);
    this.cookies.clear(response);
  }

  @Get('me')
  @Auth()
  @ApiOperation({
    summary: 'Who the access token says you are',
    description: 'Answered from the verified token alone: no database read.',
  })
  @ApiOkResponse({ type: MeDto })
  me(@Req() { user }: AuthenticatedRequest): MeDto {
    return {
      id: user.id,
      roles: user.roles,
      sessionId: user.sessionId,
      expiresAt: user.expiresAt.toISOString(),
    };
  }
}

/** Creating an account: mounted with the built-in accounts only. */
@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json' })
@LibraryController('auth')
export class RegisterController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: SessionCookies,
  ) {}

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
    @Headers('x-auth-transport') transport: string | undefined,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<TokenResponseDto> {
    const chosen = parseTransport(transport);
    return respond(this.cookies, response, await this.auth.register(body, client), chosen);
  }
}

/** Changing the password: mounted when the accounts can change one. */
@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json' })
@LibraryController('auth')
export class PasswordController {
  constructor(private readonly auth: AuthService) {}

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
    @Req() request: HttpRequest,
  ): Promise<void> {
    await this.auth.changePassword(
      user,
      body.currentPassword,
      body.newPassword,
      client,
      deviceCookieOf(request),
    );
  }
}

/** Proving the password again (step-up): mounted when the accounts can check a password. */
@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponseDto, description: 'validation_failed, malformed_json' })
@LibraryController('auth')
export class ReauthenticateController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: SessionCookies,
  ) {}

  @Post('reauthenticate')
  @RateLimit()
  @HttpCode(200)
  @Auth()
  @ApiOperation({
    summary: 'Prove the password again for this session',
    description:
      'A fresh access token whose `auth_time` is now, for routes that need a recent sign-in; ' +
      'every later refresh of the session carries it. A request authenticated by the access ' +
      'cookie gets the new access cookie and no `accessToken` in the body.',
  })
  @ApiOkResponse({ type: ReauthenticateResponseDto })
  @ApiForbiddenResponse({ type: ErrorResponseDto, description: 'invalid_credentials' })
  async reauthenticate(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ReauthenticateDto,
    @Client() client: ClientInfo,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<ReauthenticateResponseDto> {
    const proved = await this.auth.reauthenticate(
      user,
      body.password,
      client,
      deviceCookieOf(request),
    );
    const answer: ReauthenticateResponseDto = {
      tokenType: 'Bearer',
      accessToken: proved.accessToken,
      expiresIn: proved.expiresIn,
      accessTokenExpiresAt: proved.accessTokenExpiresAt.toISOString(),
      authTime: proved.authTime.toISOString(),
    };
    if (user.via === 'cookie') {
      this.cookies.setAccess(response, proved);
      delete answer.accessToken;
    }
    return answer;
  }
}

/** Tokens in the JSON body, or in httpOnly cookies with none in the body. */
function respond(
  cookies: SessionCookies,
  response: HttpResponse,
  issued: IssuedTokens,
  transport: Transport,
): TokenResponseDto {
  const body = toResponse(issued);
  if (transport === 'body') return body;
  cookies.set(response, issued);
  delete body.accessToken;
  delete body.refreshToken;
  return body;
}

/** `X-Auth-Transport`: `body` (the default) or `cookie`; anything else is a client error. */
function parseTransport(header: string | undefined): Transport {
  const value = header?.trim().toLowerCase() ?? 'body';
  if (value === 'body' || value === 'cookie') return value;
  throw new SessionAuthError('validation_failed', 'The request is not valid.', {
    errors: [{ field: 'X-Auth-Transport', messages: ['X-Auth-Transport must be body or cookie'] }],
  });
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
    user: UserDto.from(issued.user),
  };
}
