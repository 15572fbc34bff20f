import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  CharacterLength,
  NoControlCharacters,
  NormalizeEmail,
  NotCommonPassword,
  NotTheEmail,
} from './validators';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export class LoginDto {
  @ApiProperty({ example: 'a@example.com', maxLength: 254 })
  @NormalizeEmail()
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_display_name: false, allow_ip_domain: false })
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 8, maxLength: 128 })
  @IsString()
  @CharacterLength(PASSWORD_MIN, PASSWORD_MAX)
  password!: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'false: the session ends within SHORT_SESSION_MAX_AGE, and its cookies when the browser closes.',
  })
  @IsOptional()
  @IsBoolean()
  rememberMe?: boolean;
}

/** A new password: 8 to 128 characters, not a common one, not the email. */
const NEW_PASSWORD = {
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  description:
    'Every character counts. Refused: one of the 10,000 most common passwords, or the email.',
};

export class RegisterDto extends LoginDto {
  @ApiProperty({ ...NEW_PASSWORD, example: 'correct horse battery staple' })
  @IsString()
  @CharacterLength(PASSWORD_MIN, PASSWORD_MAX)
  @NotCommonPassword()
  @NotTheEmail('email')
  override password!: string;

  @ApiPropertyOptional({ example: 'Ada', maxLength: 100, nullable: true })
  @IsOptional()
  @IsString()
  @CharacterLength(1, 100)
  @NoControlCharacters()
  displayName?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @CharacterLength(1, PASSWORD_MAX)
  currentPassword!: string;

  @ApiProperty(NEW_PASSWORD)
  @IsString()
  @CharacterLength(PASSWORD_MIN, PASSWORD_MAX)
  @NotCommonPassword()
  newPassword!: string;
}

export class ReauthenticateDto {
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'The account’s password.' })
  @IsString()
  @CharacterLength(1, PASSWORD_MAX)
  password!: string;
}

export class RefreshDto {
  @ApiPropertyOptional({
    description: 'The refresh token; browsers using the cookie transport omit it.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  refreshToken?: string;
}
