import { jest } from '@jest/globals';
import * as argon2 from 'argon2';
import type { User } from '../../persistence/entities/user.entity';
import type { SecurityEventsRepository } from '../../persistence/security-events.repository';
import type { UsersRepository } from '../../persistence/users.repository';
import { PasswordHasher } from './password-hasher';
import { UsersService } from './users.service';

const PASSWORD = 'Correct-Horse-Battery-9';
const CLIENT = { ip: '127.0.0.1', userAgent: null };

/** A hash made with weaker parameters than today's: a good sign-in replaces it. */
async function weakUser(): Promise<User> {
  const passwordHash = await argon2.hash(PASSWORD, {
    type: argon2.argon2id,
    memoryCost: 8_192,
    timeCost: 1,
    parallelism: 1,
  });
  return { id: 'u1', email: 'a@example.com', passwordHash, roles: ['user'] } as User;
}

function service(user: User, replaced: boolean) {
  const replacePasswordHash = jest
    .fn<UsersRepository['replacePasswordHash']>()
    .mockResolvedValue(replaced);
  const users = {
    findByEmail: jest.fn<UsersRepository['findByEmail']>().mockResolvedValue(user),
    replacePasswordHash,
  };
  const events = { record: jest.fn() };
  return {
    replacePasswordHash,
    users: new UsersService(
      users as unknown as UsersRepository,
      new PasswordHasher(),
      events as unknown as SecurityEventsRepository,
    ),
  };
}

describe('UsersService.authenticate rehash', () => {
  it('replaces the hash only over the one it verified, and hands back the new one', async () => {
    const user = await weakUser();
    const verified = user.passwordHash;
    const { users, replacePasswordHash } = service(user, true);
    const result = await users.authenticate(user.email, PASSWORD, CLIENT);
    expect(replacePasswordHash).toHaveBeenCalledWith('u1', verified, expect.any(String));
    const rehashed = replacePasswordHash.mock.calls[0][2];
    expect(rehashed).not.toBe(verified);
    expect(await argon2.verify(rehashed, PASSWORD)).toBe(true);
    expect(result?.passwordHash).toBe(rehashed);
  });

  it('keeps the verified hash as the credential when a password change won the race', async () => {
    const user = await weakUser();
    const verified = user.passwordHash;
    const { users } = service(user, false);
    const result = await users.authenticate(user.email, PASSWORD, CLIENT);
    // The session INSERT is bound to this hash, which is no longer the user's: it is refused.
    expect(result?.passwordHash).toBe(verified);
  });
});
