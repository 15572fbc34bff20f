import { SessionAuthError } from './errors';
import {
  type LoginOutcome,
  observeLoginFailure,
  observeRefreshFailure,
  type RefreshOutcome,
  resolveObserver,
} from './observer';

describe('resolveObserver', () => {
  it('answers every call with nothing when the app observes nothing', () => {
    const observer = resolveObserver(undefined);
    expect(observer.login('success')).toBeUndefined();
    expect(observer.sessionsRevoked('logout', 1)).toBeUndefined();
  });

  it("calls the app's methods on the app's object, and no-ops for those it left out", () => {
    const app = {
      seen: [] as LoginOutcome[],
      login(outcome: LoginOutcome) {
        this.seen.push(outcome);
      },
    };
    const observer = resolveObserver(app);
    observer.login('locked');
    observer.refresh('rotated');
    expect(app.seen).toEqual(['locked']);
  });
});

describe('observeRefreshFailure', () => {
  const outcomeOf = (error: unknown): RefreshOutcome[] => {
    const seen: RefreshOutcome[] = [];
    observeRefreshFailure(resolveObserver({ refresh: (outcome) => seen.push(outcome) }), error);
    return seen;
  };

  it.each([
    ['refresh_token_missing', 'invalid'],
    ['refresh_token_invalid', 'invalid'],
    ['refresh_token_expired', 'expired'],
    ['session_expired', 'expired'],
    ['session_revoked', 'revoked'],
    ['refresh_token_reused', 'reused'],
  ] as const)('counts %s as %s', (reason, outcome) => {
    expect(outcomeOf(new SessionAuthError(reason, 'x'))).toEqual([outcome]);
  });

  it('counts no passing failure, rate limit or unknown error', () => {
    expect(outcomeOf(new SessionAuthError('service_unavailable', 'x'))).toEqual([]);
    expect(outcomeOf(new SessionAuthError('too_many_requests', 'x'))).toEqual([]);
    expect(outcomeOf(new Error('boom'))).toEqual([]);
  });
});

describe('observeLoginFailure', () => {
  it('counts a wrong password and a locked-out client, and nothing else', () => {
    const seen: LoginOutcome[] = [];
    const observer = resolveObserver({ login: (outcome) => seen.push(outcome) });
    observeLoginFailure(observer, new SessionAuthError('invalid_credentials', 'x'));
    observeLoginFailure(observer, new SessionAuthError('too_many_requests', 'x'));
    observeLoginFailure(observer, new SessionAuthError('session_limit_reached', 'x'));
    observeLoginFailure(observer, new SessionAuthError('service_unavailable', 'x'));
    expect(seen).toEqual(['invalid_credentials', 'locked']);
  });
});
