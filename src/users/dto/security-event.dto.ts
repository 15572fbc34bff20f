import { ApiProperty } from '@nestjs/swagger';
import {
  SECURITY_EVENT_TYPES,
  SecurityEvent,
  SecurityEventType,
} from '@session-service/nestjs/internal';

export class SecurityEventDto {
  @ApiProperty({ enum: SECURITY_EVENT_TYPES })
  type!: SecurityEventType;

  @ApiProperty({ type: String, format: 'date-time' })
  at!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sessionId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  static from(event: SecurityEvent): SecurityEventDto {
    return {
      type: event.type,
      at: event.at.toISOString(),
      sessionId: event.sessionId,
      ip: event.ip,
      userAgent: event.userAgent,
    };
  }
}
