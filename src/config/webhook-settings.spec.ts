import { randomBytes } from 'node:crypto';
import { ConfigError } from './config-error';
import { parseWebhookSettings } from './webhook-settings';

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('WEBHOOK_URL and WEBHOOK_SECRET', () => {
  it('are off when neither is set, and taken together when both are', () => {
    expect(parseWebhookSettings(undefined, undefined)).toBeNull();
    const secret = secretOf(32);
    expect(parseWebhookSettings('https://hooks.example.com/in', secret)).toEqual({
      url: 'https://hooks.example.com/in',
      secret,
    });
    for (const bytes of [24, 25, 26, 64]) {
      expect(parseWebhookSettings('http://127.0.0.1:9000/', secretOf(bytes))).not.toBeNull();
    }
  });

  it('refuse one without the other, naming the missing one', () => {
    expect(() => parseWebhookSettings('https://hooks.example.com/', undefined)).toThrow(
      /WEBHOOK_SECRET is required/,
    );
    expect(() => parseWebhookSettings(undefined, secretOf(32))).toThrow(/WEBHOOK_URL is required/);
  });

  it('refuse a URL that is not http(s), without echoing it', () => {
    for (const url of ['ftp://hooks.example.com/', 'hooks.example.com', 'https://']) {
      const error = catchError(() => parseWebhookSettings(url, secretOf(32)));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('WEBHOOK_URL');
      expect(error.message).not.toContain('hooks.example.com');
    }
  });

  it('refuse a secret without the prefix, not base64, too short or too long, without echoing it', () => {
    const raw = randomBytes(32).toString('base64');
    for (const secret of [
      raw,
      `whsec_${raw.slice(0, -1)}`,
      `whsec_${raw}!`,
      'whsec_',
      secretOf(16),
      secretOf(65),
    ]) {
      const error = catchError(() => parseWebhookSettings('https://hooks.example.com/', secret));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('WEBHOOK_SECRET');
      expect(error.message).toContain('whsec_ followed by the base64');
      expect(error.message).not.toContain(raw.slice(0, 12));
    }
  });
});

function catchError(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
