import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Client, ClientInfo } from '../common/client-info';
import { SessionAuthError } from '@session-service/nestjs';
import { AppConfig } from '../config/app-config';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { UserDto } from '../users/dto/user.dto';
import { AuthService, IssuedTokens } from './auth.service';
import { Auth } from './decorators/auth.decorator';
import { AuthenticatedRequest, CurrentUser } from './decorators/current-user.decorator';
import { Public } from './decorators/public.decorator';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/credentials.dto';
import { MeDto, TokenResponseDto } from './dto/token-response.dto';
import { LogoutGuard } from './guards/logout.guard';
import { RefreshTokenGuard } from './guards/refresh-token.guard';
import { RateLimit } from './decorators/rate-limit.decorator';
import { deviceCookie } from './strategies/extract-token';
import { clearSessionCookies, setDeviceCookie, setSessionCookies } from './transport/cookies';
import {
  csrfTokenFor,
  type AuthenticatedUser,
  type PresentedRefreshToken,
} from '@session-service/nestjs/internal';

type Transport = 'body' | 'cookie';

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
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
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
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const chosen = parseTransport(transport);
    return this.respond(reply, await this.auth.register(body, client), chosen);
  }

  @Public()
  @Post('login')
  @RateLimit()
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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const chosen = parseTransport(transport);
    const signedIn = await this.auth.login(body, client, deviceCookie(request));
    setDeviceCookie(reply, signedIn.deviceCookie);
    return this.respond(reply, signedIn.issued, chosen);
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
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    // A token sent in the body is answered in the body, even on a session begun with cookies.
    const transport = token.via === 'cookie' ? 'cookie' : 'body';
    return this.respond(reply, await this.auth.refresh(token, client), transport);
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
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logout(principal, client);
    clearSessionCookies(reply);
  }

  @Post('logout-all')
  @HttpCode(204)
  @Auth()
  @ApiOperation({ summary: 'Sign out everywhere: revoke every session of the user' })
  @ApiNoContentResponse()
  async logoutAll(
    @CurrentUser() user: AuthenticatedUser,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.auth.logoutAll(user.id, client);
    clearSessionCookies(reply);
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
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.auth.changePassword(
      user.id,
      user.sessionId,
      body.currentPassword,
      body.newPassword,
      client,
      deviceCookie(request),
    );
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

  /** Tokens in the JSON body, or in httpOnly cookies with none in the body. */
  private respond(
    reply: FastifyReply,
    issued: IssuedTokens,
    transport: Transport,
  ): TokenResponseDto {
    const response = toResponse(issued);
    if (transport === 'body') return response;
    setSessionCookies(reply, {
      ...issued,
      csrfToken: csrfTokenFor(this.config.keys.csrfSecret, issued.sessionId),
    });
    delete response.accessToken;
    delete response.refreshToken;
    return response;
  }
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
    user: UserDto.from(issued.user as never),
  };
}
