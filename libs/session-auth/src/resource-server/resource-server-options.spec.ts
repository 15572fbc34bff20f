import { describe, expect, it } from '@jest/globals';
import {
  normaliseResourceServerOptions,
  type ResourceServerOptions,
} from './resource-server-options';

const BASE: ResourceServerOptions = {
  issuer: 'https://auth.example.test',
  jwksUrl: 'https://auth.example.test/.well-known/jwks.json',
};
const FEED = { url: 'https://auth.example.test/auth/revocations', token: 't'.repeat(32) };

describe('normaliseResourceServerOptions', () => {
  it('fills in the service’s defaults: its audience, the global guard, no feed, no silence limit, 5m for recent authentication', () => {
    expect({ ...normaliseResourceServerOptions(BASE) }).toEqual({
      issuer: BASE.issuer,
      audience: 'session-service',
      jwksUrl: new URL(BASE.jwksUrl),
      revocationFeed: null,
      maxFeedSilenceMs: null,
      clockToleranceMs: 0,
      globalGuard: true,
      reauthMaxAgeMs: 300_000,
    });
  });

  it('takes reauthMaxAge from 1s to 1d', () => {
    expect(normaliseResourceServerOptions({ ...BASE, reauthMaxAge: '10m' }).reauthMaxAgeMs).toBe(
      600_000,
    );
    expect(() => normaliseResourceServerOptions({ ...BASE, reauthMaxAge: '2d' })).toThrow(
      /reauthMaxAge/,
    );
  });

  it('takes durations as the service’s configuration does', () => {
    const options = normaliseResourceServerOptions({
      ...BASE,
      revocationFeed: FEED,
      maxFeedSilence: '1m',
      clockTolerance: 5,
    });
    expect(options.maxFeedSilenceMs).toBe(60_000);
    expect(options.clockToleranceMs).toBe(5_000);
  });

  it.each([
    [{ issuer: '' }, 'option issuer'],
    [{ jwksUrl: 'file:///etc/passwd' }, 'option jwksUrl'],
    [{ revocationFeed: { ...FEED, token: 'short' } }, 'option revocationFeed.token'],
    [{ revocationFeed: { ...FEED, url: 'nope' } }, 'option revocationFeed.url'],
    [{ revocationFeed: FEED, maxFeedSilence: '10s' as const }, 'from 16s to 1d'],
    [{ maxFeedSilence: '1m' as const }, 'only with revocationFeed'],
    [{ globalGuard: 'yes' as unknown as boolean }, 'option globalGuard'],
  ])('refuses %j with a message naming it', (change, message) => {
    expect(() => normaliseResourceServerOptions({ ...BASE, ...change })).toThrow(message);
  });

  it('never shows the feed token in its error', () => {
    expect(() =>
      normaliseResourceServerOptions({
        ...BASE,
        revocationFeed: { ...FEED, token: 'secret with space 0123456789abcdef' },
      }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secret') }));
  });
});
