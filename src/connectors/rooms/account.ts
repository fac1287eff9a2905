import type { ConnectorContext } from '../../core/connector.js';
import type { NoticeThrottle } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { UserRef } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { postOk } from './http.js';
import { needsRefresh, refreshToken, tokenFields } from './login.js';
import { readTokenClaims, readUserInfo } from './wire.js';

/**
 * The account of a rooms session: the token in use and its upkeep (refreshed once a day, facts A3),
 * who we are (`POST /user/info`, facts A3; before it answers, the login's or the token's id), and the
 * names the profile gives user ids (the server names posters only by id, facts A1).
 */
export class RoomsAccount {
  token: string | undefined;
  /** Names for user ids from the profile's aliases (sanitised, at most 100 characters). */
  readonly aliases: Record<string, string> = {};
  private self: UserRef | undefined;
  private confirmed = false;
  /** When the token in use was issued (ISO UTC), if known: the profile's, then our refresh's. */
  private issuedAt: string | undefined;
  private refreshing = false;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly base: string,
    private readonly now: () => number,
    private readonly notices: NoticeThrottle,
    private readonly timeout: { timeoutMs?: number },
  ) {
    const p = ctx.profile;
    this.token = ctx.token;
    this.issuedAt = p.tokenIssuedAt;
    for (const [id, name] of Object.entries(p.aliases ?? {})) {
      const clean = sanitizeLine(name).trim();
      if (clean) this.aliases[id] = clean.slice(0, 100);
    }
    const id = p.userId ?? readTokenClaims(ctx.token)?.id;
    if (id !== undefined) this.self = { id, name: this.aliases[id] ?? (p.userName ? sanitizeLine(p.userName) : sanitizeLine(id)) };
  }

  /** Our user, when known. */
  me(): UserRef | undefined {
    return this.self ? { ...this.self } : undefined;
  }

  /** Our id as it appears in a message's author (sanitised like every poster id), when known. */
  myPosterId(): string | undefined {
    return this.self ? posterId(this.self.id) : undefined;
  }

  /** The display name of user `id`: ours, the profile's alias, else the id itself (the server has no user lookup, facts A1). */
  nameOf(id: string): string {
    if (this.self && id === this.self.id) return this.self.name;
    return this.aliases[id] ?? (sanitizeLine(id).slice(0, 100) || 'unknown');
  }

  /** A poster as a user. */
  userRef(id: string): UserRef {
    return { id: posterId(id), name: this.nameOf(id) };
  }

  /** Before each connection: refresh an old token, and learn who we are until /user/info has answered once. Throws ChatError. */
  async prepare(signal: AbortSignal): Promise<void> {
    await this.maybeRefresh(signal);
    if (!this.confirmed) await this.fetchMe(signal);
  }

  /** Refreshes the token when it is older than a day (facts A3) and the profile stores it; failures are notices. */
  async maybeRefresh(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.refreshing) return;
    const token = this.token;
    const p = this.ctx.profile;
    // Only a token stored in the profile can be replaced; a --token-env/--token-cmd source is the user's to renew.
    if (!token || p.token === undefined || !needsRefresh(token, this.issuedAt, this.now())) return;
    this.refreshing = true;
    try {
      const fresh = await refreshToken(this.base, token, signal);
      this.token = fresh;
      this.issuedAt = new Date(this.now()).toISOString();
      await this.ctx.saveProfile(tokenFields(fresh, this.now())).catch(() => {
        this.notices.notice('refresh', 'rooms: the token was refreshed but could not be saved to the config');
      });
    } catch (err) {
      const e = toChatError(err);
      if (e.code !== 'auth') this.notices.notice('refresh', `rooms: token refresh failed: ${e.message}`);
      // An auth refusal shows up at once on /user/info with the server's own code.
    } finally {
      this.refreshing = false;
    }
  }

  /** `POST /user/info` (facts A3): our id and names. Auth refusals throw; other failures keep the token's id. */
  private async fetchMe(signal: AbortSignal): Promise<void> {
    let answer;
    try {
      answer = await postOk(this.base, '/user/info', 'rooms (/user/info)', { token: this.token, signal, ...this.timeout });
    } catch (err) {
      const e = toChatError(err);
      if (e.code === 'auth' || e.code === 'not_found') throw e;
      if (this.self) return; // keep the id from the token / login; ask again next connect
      throw e;
    }
    const user = readUserInfo(answer.json);
    if (!user) {
      if (!this.self) throw new ChatError('protocol', 'rooms: /user/info returned no user id', { retryable: false });
      return;
    }
    const name = this.aliases[user.id] ?? user.givenName ?? user.fullName ?? user.username ?? sanitizeLine(user.id);
    this.self = { id: user.id, name };
    this.confirmed = true;
  }
}

/** A poster id as a message's author carries it (sanitised, at most 200 characters). */
function posterId(id: string): string {
  return sanitizeLine(id).slice(0, 200) || 'unknown';
}
