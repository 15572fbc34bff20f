import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { UserDto } from './user.dto';

export class TokenResponseDto {
  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiPropertyOptional({ description: 'Absent in the cookie transport.', example: 'eyJ…' })
  accessToken?: string;

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires.' })
  expiresIn!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  accessTokenExpiresAt!: string;

  @ApiPropertyOptional({ description: 'Absent in the cookie transport.', example: 'eyJ…' })
  refreshToken?: string;

  @ApiProperty({ type: String, format: 'date-time' })
  refreshTokenExpiresAt!: string;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiProperty({ type: UserDto })
  user!: UserDto;
}

/** A session's password proved again: only the access token is new. */
export class ReauthenticateResponseDto extends PickType(TokenResponseDto, [
  'tokenType',
  'accessToken',
  'expiresIn',
  'accessTokenExpiresAt',
] as const) {
  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'The new `auth_time`: every later refresh of this session carries it.',
  })
  authTime!: string;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: ['user'] })
  roles!: readonly string[];

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'When this access token expires.',
  })
  expiresAt!: string;
}
