import { Strategy } from 'passport-strategy';

type Done = (error: unknown, user?: unknown) => void;
type Verify = (request: unknown, token: string, done: Done) => void;

export interface TokenStrategyOptions {
  /** Finds the token in the request, or returns null (then `missing` is raised). */
  extract(request: unknown): string | null;
  missing(): Error;
}

/**
 * A Passport strategy that extracts a JWT and hands it to `validate()`; the verification itself
 * (pinned algorithm, `typ`, issuer, audience, `kid`) lives in the library's AccessTokens and
 * RefreshTokens. Failures travel as errors carrying the contract's code, so that the guard can
 * answer with it.
 */
export class TokenStrategy extends Strategy {
  constructor(
    private readonly options: TokenStrategyOptions,
    private readonly verifyToken: Verify,
  ) {
    super();
  }

  override authenticate(request: unknown): void {
    const token = this.options.extract(request);
    if (!token) {
      this.error(this.options.missing());
      return;
    }
    this.verifyToken(request, token, (error, user) => {
      if (error || !user) this.error(error instanceof Error ? error : this.options.missing());
      else this.success(user);
    });
  }
}
