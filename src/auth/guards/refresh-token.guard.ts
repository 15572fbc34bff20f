import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy';

/** Puts the verified refresh token on `request.user` for the refresh and logout routes. */
@Injectable()
export class RefreshTokenGuard extends AuthGuard(REFRESH_STRATEGY) {}
