import { AppConfig } from '../config/app-config';
import { REVOCATION_CHANNEL, ROLES_CHANNEL } from '@session-service/nestjs/internal';
import { RevokedSessions } from './revoked-sessions.service';

const config = {
  accessTokenTtlMs: 900_000,
  clockToleranceMs: 0,
  revocationPropagationMs: 1_000,
} as AppConfig;

/** What the LISTEN connection hands over, without a database. */
function notify(service: RevokedSessions, channel: string, payload: string): void {
  service['onNotification']({ processId: 1, channel, payload });
}

const roleChange = (id: string, roles: string[], at: number) => JSON.stringify({ id, roles, at });

describe('RevokedSessions', () => {
  it('marks every session a revocation notification names', () => {
    const service = new RevokedSessions(config);
    notify(service, REVOCATION_CHANNEL, 's1,s2');
    expect(service.has('s1')).toBe(true);
    expect(service.has('s2')).toBe(true);
    expect(service.has('s3')).toBe(false);
  });

  it('knows no roles for a user whose roles did not change', () => {
    expect(new RevokedSessions(config).currentRoles('u1')).toBeUndefined();
  });

  it('keeps the latest roles of a changed user, whichever source brings them first', () => {
    const service = new RevokedSessions(config);
    notify(service, ROLES_CHANNEL, roleChange('u1', ['user'], 2_000));
    // An older state (a catch-up read that started before the change) does not win.
    notify(service, ROLES_CHANNEL, roleChange('u1', ['user', 'admin'], 1_000));
    expect([...service.currentRoles('u1')!]).toEqual(['user']);
    notify(service, ROLES_CHANNEL, roleChange('u1', ['user', 'auditor'], 3_000));
    expect([...service.currentRoles('u1')!]).toEqual(['user', 'auditor']);
  });

  it('ignores a role change it cannot read', () => {
    const service = new RevokedSessions(config);
    notify(service, ROLES_CHANNEL, 'not json');
    notify(service, ROLES_CHANNEL, JSON.stringify({ id: 'u1', roles: 'admin', at: 1 }));
    expect(service.currentRoles('u1')).toBeUndefined();
  });
});
