import { resolveObserver } from '../../core/observer';
import type { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import type { RevocationListener } from '../../persistence/revocation-listener';
import { RevokedSessions } from './revoked-sessions';

function revokedSessions(observed: number[] = []): RevokedSessions {
  const options = {
    accessTokenTtlMs: 900_000,
    clockToleranceMs: 0,
    revocationPropagationMs: 1_000,
    observer: resolveObserver({ revokedSessionsInMemory: (count) => observed.push(count) }),
  } as ResolvedSessionAuthOptions;
  return new RevokedSessions(options, {} as RevocationListener);
}

const roleChange = (id: string, roles: string[], at: number) => ({ id, roles, at });

describe('RevokedSessions', () => {
  it('marks every session it is told of', () => {
    const service = revokedSessions();
    service.add(['s1', 's2']);
    expect(service.has('s1')).toBe(true);
    expect(service.has('s2')).toBe(true);
    expect(service.has('s3')).toBe(false);
  });

  it('forgets a session once no access token of it can live', () => {
    const service = revokedSessions();
    service.add(['s1']);
    service.forgetExpired(Date.now() + service.retentionMs());
    expect(service.has('s1')).toBe(false);
    expect(service.size).toBe(0);
  });

  it('tells the observer the size of the set each time it changes, and only then', () => {
    const observed: number[] = [];
    const service = revokedSessions(observed);
    service.add(['s1', 's2']);
    service.add(['s2']);
    service.forgetExpired(Date.now());
    service.forgetExpired(Date.now() + service.retentionMs());
    expect(observed).toEqual([2, 0]);
  });

  it('knows no roles for a user whose roles did not change', () => {
    expect(revokedSessions().currentRoles('u1')).toBeUndefined();
  });

  it('keeps the latest roles of a changed user, whichever source brings them first', () => {
    const service = revokedSessions();
    service.applyRoleChange(roleChange('u1', ['user'], 2_000));
    // An older state (a catch-up read that started before the change) does not win.
    service.applyRoleChange(roleChange('u1', ['user', 'admin'], 1_000));
    expect([...service.currentRoles('u1')!]).toEqual(['user']);
    service.applyRoleChange(roleChange('u1', ['user', 'auditor'], 3_000));
    expect([...service.currentRoles('u1')!]).toEqual(['user', 'auditor']);
  });
});
