import type { LoginOptions } from '../../core/connector.js';
import { ChatError, UsageError } from '../../core/errors.js';
import type { NamedProfile, Profile } from '../../core/profile.js';
import { sleep } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { errorFromAnswer, post, postOk } from './http.js';
import { readTokenClaims, readUserInfo } from './wire.js';

/**
 * Login and token refresh for the rooms service (facts A3): UCL single sign-on only, no password login.
 */

/** Tunables of `ssoLogin`, for tests. */
export interface SsoTunables {
  /** Time between two `/auth/sso_check` polls, ms (default 3000: "every few seconds", facts A3). */
  pollMs?: number;
  /** Clock, ms. */
  now?: () => number;
}

/** A token is refreshed once it is older than this, ms (facts A3: "refresh about once a day"). */
export const REFRESH_AFTER_MS = 24 * 3600 * 1000;

/** The token lifetime of the real server (facts A3: one week), used to guess when a pasted token was issued. */
export const TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * The `timeout` of `/auth/sso` as ms since the epoch. The real server sends unix **seconds** (facts A3,
 * A-10); the auth doc says milliseconds. Values above 1e11 can only be ms, so both are read.
 * Undefined when absent; then 15 minutes from now (the server's lifetime of a check code) is used.
 */
export function ssoDeadlineMs(timeout: unknown): number | undefined {
  const n = typeof timeout === 'number' ? timeout : typeof timeout === 'string' && /^\d+$/.test(timeout) ? Number(timeout) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n > 1e11 ? n : n * 1000;
}

/** Profile fields for a new token: the token, when it was issued, and when it expires (from its `expires` claim). */
export function tokenFields(token: string, nowMs: number): Partial<Profile> {
  const patch: Partial<Profile> = { token, tokenIssuedAt: new Date(nowMs).toISOString() };
  const expires = readTokenClaims(token)?.expires;
  if (expires !== undefined) {
    const at = new Date(expires * 1000);
    if (!Number.isNaN(at.getTime())) patch.tokenExpiresAt = at.toISOString();
  }
  return patch;
}

/**
 * `chat-tui login --profile P` for rooms (facts A3):
 * 1. `POST /auth/sso` (no body) → `{redirect_url, check_code, timeout}`; the redirect URL is told to the
 *    user (`opts.say`) to open in a browser;
 * 2. `POST /auth/sso_check {"check_code"}` every `pollMs` until `AUTHENTICATED` (→ `auth_token`), `ERROR`
 *    (→ ChatError auth with the server's text), or the deadline (`timeout`, unix seconds; ms accepted).
 *    `WAITING`/`PROCESSING` keep polling. A 404 (plain text `NOT FOUND`: unknown or expired code) after the
 *    deadline ends the login as timed out; before it, it is a refusal too (the code is gone);
 * 3. `POST /user/info` with the token, to say who logged in and store our id/name.
 * Returns `{token, tokenIssuedAt, tokenExpiresAt?, userId?, userName?}`. Throws UsageError without a
 * `--url`, ChatError auth/network/protocol otherwise. The token never appears in a message.
 */
export async function ssoLogin(profile: NamedProfile, opts: LoginOptions, tunables: SsoTunables = {}): Promise<Partial<Profile>> {
  const base = profile.url;
  if (!base) throw new UsageError('rooms login needs the server URL: chat-tui profile add … --url URL');
  const now = tunables.now ?? Date.now;
  const pollMs = tunables.pollMs ?? 3000;
  const started = await postOk(base, '/auth/sso', 'login (/auth/sso)', { signal: opts.signal });
  const body = started.json as { redirect_url?: unknown; check_code?: unknown; timeout?: unknown } | undefined;
  const checkCode = typeof body?.check_code === 'string' ? body.check_code : undefined;
  const redirect = typeof body?.redirect_url === 'string' ? sanitizeLine(body.redirect_url) : undefined;
  if (!checkCode || !redirect) throw new ChatError('protocol', 'login: /auth/sso did not return redirect_url and check_code', { retryable: false });
  const deadline = ssoDeadlineMs(body?.timeout) ?? now() + 15 * 60_000;
  opts.say(`open this address in a browser and sign in: ${redirect}`);
  opts.say(`waiting for the sign-in (until ${new Date(deadline).toISOString()}) …`);

  let token: string | undefined;
  let lastStatus = '';
  for (;;) {
    if (opts.signal.aborted) throw new ChatError('network', 'login: cancelled', { retryable: false });
    const answer = await post(base, '/auth/sso_check', 'login (/auth/sso_check)', { body: { check_code: checkCode }, signal: opts.signal });
    if (answer.status === 404) {
      // Plain text "NOT FOUND": the check code is unknown or expired (facts A3).
      if (now() >= deadline) throw new ChatError('auth', 'login: the sign-in timed out; run chat-tui login again', { retryable: false });
      throw new ChatError('auth', 'login: the server no longer knows this sign-in request (expired?); run chat-tui login again', { retryable: false });
    }
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, 'login (/auth/sso_check)');
    const check = answer.json as { status?: unknown; error?: unknown; auth_token?: unknown } | undefined;
    const status = typeof check?.status === 'string' ? check.status : '';
    if (status === 'AUTHENTICATED') {
      if (typeof check?.auth_token !== 'string' || check.auth_token === '') {
        throw new ChatError('protocol', 'login: AUTHENTICATED without an auth_token', { retryable: false });
      }
      token = check.auth_token;
      break;
    }
    if (status === 'ERROR') {
      const why = sanitizeLine(check?.error).slice(0, 200) || 'no reason given';
      throw new ChatError('auth', `login: the sign-in failed: ${why}`, { retryable: false });
    }
    if (status !== 'WAITING' && status !== 'PROCESSING') {
      throw new ChatError('protocol', `login: unexpected sign-in status ${sanitizeLine(status).slice(0, 40) || '(none)'}`, { retryable: false });
    }
    if (status !== lastStatus && status === 'PROCESSING') opts.say('signed in at the provider; the server is finishing …');
    lastStatus = status;
    if (now() >= deadline) throw new ChatError('auth', 'login: the sign-in timed out; run chat-tui login again', { retryable: false });
    try {
      await sleep(Math.max(0, Math.min(pollMs, deadline - now() + 1)), opts.signal);
    } catch {
      throw new ChatError('network', 'login: cancelled', { retryable: false });
    }
  }

  const patch = tokenFields(token, now());
  try {
    const info = await postOk(base, '/user/info', 'login (/user/info)', { token, signal: opts.signal });
    const user = readUserInfo(info.json);
    if (user) {
      patch.userId = user.id;
      const name = user.givenName ?? user.fullName ?? user.username;
      if (name) patch.userName = name;
      opts.say(`logged in as ${sanitizeLine(user.fullName ?? name ?? user.id)} (id ${sanitizeLine(user.id)})`);
    }
  } catch {
    // The token is what matters; who we are is read again at connect time.
  }
  return patch;
}

/**
 * Whether a token should be refreshed now: older than a day (facts A3). The issue time is the profile's
 * `tokenIssuedAt`, else the token's `expires` claim minus the one-week lifetime. An already expired
 * token is not refreshable (the server refuses it) and a token of unknown age is left alone.
 */
export function needsRefresh(token: string, issuedAt: string | undefined, nowMs: number): boolean {
  const claims = readTokenClaims(token);
  if (claims?.expires !== undefined && claims.expires * 1000 <= nowMs) return false;
  let issued = issuedAt ? Date.parse(issuedAt) : NaN;
  if (Number.isNaN(issued) && claims?.expires !== undefined) issued = claims.expires * 1000 - TOKEN_LIFETIME_MS;
  if (Number.isNaN(issued)) return false;
  return nowMs - issued >= REFRESH_AFTER_MS;
}

/**
 * `POST /auth/refresh` (authenticated, no body) → `{"auth_token"}` (facts A3). Returns the new token.
 * Throws ChatError (auth when the old token is refused).
 */
export async function refreshToken(base: string, token: string, signal?: AbortSignal): Promise<string> {
  const answer = await postOk(base, '/auth/refresh', 'token refresh', { token, signal });
  const fresh = (answer.json as { auth_token?: unknown } | undefined)?.auth_token;
  if (typeof fresh !== 'string' || fresh === '') throw new ChatError('protocol', 'token refresh: no auth_token in the answer', { retryable: false });
  return fresh;
}
