import type { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { RevocationListener, RevocationSink } from './revocation-listener';
import { REVOCATION_CHANNEL } from './sessions.repository';
import { RoleChange, ROLES_CHANNEL } from './users.repository';

/** A listener fed by hand, without a database, and what it passed on. */
function listenerWithSink() {
  const revoked: string[] = [];
  const roleChanges: RoleChange[] = [];
  const sink: RevocationSink = {
    retentionMs: () => 960_000,
    add: (ids) => revoked.push(...ids),
    applyRoleChange: (change) => roleChanges.push(change),
    revokeAllBefore: () => undefined,
    forgetExpired: () => undefined,
  };
  const listener = new RevocationListener({ connectionString: undefined }, {
    builtinUsers: true,
  } as ResolvedSessionAuthOptions);
  listener['sink'] = sink;
  const notify = (channel: string, payload: string) =>
    listener['onNotification']({ processId: 1, channel, payload });
  let signals = 0;
  listener.watchRevocations(() => signals++);
  return { notify, revoked, roleChanges, signals: () => signals };
}

describe('RevocationListener', () => {
  it('passes on every session a revocation notification names', () => {
    const { notify, revoked } = listenerWithSink();
    notify(REVOCATION_CHANNEL, 's1,s2');
    expect(revoked).toEqual(['s1', 's2']);
  });

  it('tells its revocation watchers of a revocation notification, not of a role change', () => {
    const { notify, signals } = listenerWithSink();
    notify(REVOCATION_CHANNEL, 's1');
    notify(ROLES_CHANNEL, JSON.stringify({ id: 'u1', roles: ['user'], at: 2_000 }));
    expect(signals()).toBe(1);
  });

  it('passes on a role change', () => {
    const { notify, roleChanges } = listenerWithSink();
    notify(ROLES_CHANNEL, JSON.stringify({ id: 'u1', roles: ['user'], at: 2_000 }));
    expect(roleChanges).toEqual([{ id: 'u1', roles: ['user'], at: 2_000 }]);
  });

  it('ignores a role change it cannot read', () => {
    const { notify, roleChanges } = listenerWithSink();
    notify(ROLES_CHANNEL, 'not json');
    notify(ROLES_CHANNEL, JSON.stringify({ id: 'u1', roles: 'admin', at: 1 }));
    expect(roleChanges).toEqual([]);
  });
});
