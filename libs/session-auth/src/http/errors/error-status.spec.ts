import { httpStatusOf, publicCodeOf } from './error-status';

describe('error status', () => {
  it('maps each reason to the contract’s status and code', () => {
    expect([httpStatusOf('invalid_credentials'), publicCodeOf('invalid_credentials')]).toEqual([
      401,
      'invalid_credentials',
    ]);
    // A wrong current password reads as the same code, with 403: the caller is signed in.
    expect([
      httpStatusOf('current_password_invalid'),
      publicCodeOf('current_password_invalid'),
    ]).toEqual([403, 'invalid_credentials']);
    expect(httpStatusOf('too_many_requests')).toBe(429);
    expect(httpStatusOf('service_unavailable')).toBe(503);
    expect(httpStatusOf('email_taken')).toBe(409);
  });
});
