import type { ConnectorContext } from '../../core/connector.js';
import { clientCredentials, tokenExpired } from './login.js';

/**
 * Renewing a login token with the client credentials grant again (facts §2 "A client-credentials token
 * acts as the app owner's account"; the grant is login.ts). A profile can renew when it keeps the client
 * id, the secret and the token's expiry (what `chat-tui login` stores).
 */
export class TokenRenewal {
  private running: Promise<void> | undefined;

  /**
   * `base`: the site URL. `renewed(token)` is told the new access token (the session swaps its
   * credential); `notice(text)` tells the user.
   */
  constructor(
    private readonly base: string,
    private readonly ctx: ConnectorContext,
    private readonly renewed: (token: string) => void,
    private readonly notice: (text: string) => void,
  ) {}

  /** Whether this profile can renew its token (client id, secret and expiry stored). */
  get possible(): boolean {
    const p = this.ctx.profile;
    return Boolean(p.clientId && p.clientSecret && p.tokenExpiresAt);
  }

  /** Whether a renewal is in progress. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Renews when the stored expiry is due (within a minute). Throws ChatError as `renew`. */
  async ifExpired(): Promise<void> {
    if (!this.possible || !tokenExpired(this.ctx.profile.tokenExpiresAt)) return;
    await this.renew();
  }

  /**
   * Runs the grant (once at a time: a second call joins the first), saves the new token and its times
   * with `saveProfile` (a failed save is not fatal: the token works for this run). Throws ChatError
   * `auth` when the grant is refused, `network`/`protocol` otherwise.
   */
  renew(): Promise<void> {
    this.running ??= this.grant().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async grant(): Promise<void> {
    const p = this.ctx.profile;
    const patch = await clientCredentials(this.base, p.clientId ?? '', p.clientSecret ?? '');
    await this.ctx.saveProfile(patch).catch(() => {});
    if (patch.token) {
      if (patch.tokenExpiresAt !== undefined) p.tokenExpiresAt = patch.tokenExpiresAt;
      else delete p.tokenExpiresAt;
      if (patch.tokenIssuedAt !== undefined) p.tokenIssuedAt = patch.tokenIssuedAt;
      this.renewed(patch.token);
    }
    this.notice('renewed the Glimesh token (client credentials)');
  }
}
