import { ApiProperty } from '@nestjs/swagger';
import type { SessionUser } from '../../core/types';

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'a@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  displayName!: string | null;

  @ApiProperty({ example: ['user'] })
  roles!: string[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  static from(user: SessionUser): UserDto {
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      roles: user.roles,
      createdAt: user.createdAt.toISOString(),
    };
  }
}
