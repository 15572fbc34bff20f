import { ApiProperty } from '@nestjs/swagger';
import {
  SECURITY_EVENT_TYPES,
  type SecurityEventType,
  type SecurityEventView,
} from '../../domain/auth.service';

/** The shape of SecurityEventView for the OpenAPI document; the domain builds the values. */
export class SecurityEventDto implements SecurityEventView {
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
}
