import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ example: ['email must be an email'] })
  messages!: string[];
}

/** The one error shape every failing response has. */
export class ErrorResponseDto {
  @ApiProperty({ example: 401 })
  statusCode!: number;

  @ApiProperty({ example: 'access_token_expired' })
  code!: string;

  @ApiProperty({ example: 'The access token has expired.' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on 400 validation_failed.' })
  errors?: FieldErrorDto[];
}
