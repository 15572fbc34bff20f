import request from 'supertest';
import { registerUser, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { createTestApp, TestApp } from './support/test-app';

describe('password policy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const register = (email: string, password: string) =>
    request(t.url).post('/auth/register').send({ email, password });

  it.each(['password1', 'Password123', 'QWERTYUIOP', 'iloveyou1', '12345678', 'baseball'])(
    'refuses the common password %s at registration, naming the field',
    async (password) => {
      const res = await register(uniqueEmail(), password);
      expectContractError(res, 400, 'validation_failed', ['errors']);
      expect(res.body.errors).toEqual([
        { field: 'password', messages: [expect.stringMatching(/common/)] },
      ]);
    },
  );

  it('refuses the email as the password, whatever its case', async () => {
    const email = uniqueEmail('same');
    const res = await register(email, email.toUpperCase());
    expectContractError(res, 400, 'validation_failed', ['errors']);
    expect(res.body.errors).toEqual([
      { field: 'password', messages: [expect.stringMatching(/email/)] },
    ]);
  });

  it('takes a password that is neither', async () => {
    await register(uniqueEmail(), 'Zebra-Quartz-991').expect(201);
  });

  describe('on password change', () => {
    const change = (accessToken: string, currentPassword: string, newPassword: string) =>
      request(t.url)
        .post('/auth/password')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ currentPassword, newPassword });

    it('refuses a common new password, naming newPassword', async () => {
      const user = await registerUser(t.url);
      const res = await change(user.tokens.accessToken, user.password, 'Password1');
      expectContractError(res, 400, 'validation_failed', ['errors']);
      expect(res.body.errors).toEqual([
        { field: 'newPassword', messages: [expect.stringMatching(/common/)] },
      ]);
    });

    it('refuses the email as the new password, naming newPassword', async () => {
      const user = await registerUser(t.url);
      const res = await change(user.tokens.accessToken, user.password, user.email.toUpperCase());
      expectContractError(res, 400, 'validation_failed', ['errors']);
      expect(res.body.errors).toEqual([
        { field: 'newPassword', messages: [expect.stringMatching(/email/)] },
      ]);
      // The old password still works: nothing changed.
      await request(t.url)
        .post('/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
    });

    it('takes a good new password', async () => {
      const user = await registerUser(t.url);
      await change(user.tokens.accessToken, user.password, 'Another-Zebra-77').expect(204);
    });
  });
});
