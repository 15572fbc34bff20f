import { ApiProperty } from '@nestjs/swagger';
import type { SessionView } from '../../domain/sessions/sessions.service';

/** The shape of SessionView for the OpenAPI document; the domain builds the values. */
export class SessionDto implements SessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Idle end, if not refreshed.' })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Absolute end.' })
  absoluteExpiresAt!: string;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ description: 'Whether this is the session of the calling token.' })
  current!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Chrome on macOS',
    description: 'The browser and system, read from the user agent; null when unknown.',
  })
  device!: string | null;

  @ApiProperty({ description: 'False for a session begun with `rememberMe: false`.' })
  persistent!: boolean;
}
