import type { LoginOptions } from '../../core/connector.js';
import { ChatError, UsageError } from '../../core/errors.js';
import type { NamedProfile, Profile } from '../../core/profile.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { describeNetworkError, httpText } from '../http.js';
import { MAX_FRAME_BYTES } from './wire.js';
import { httpBase } from './http.js';

/**
 * The OAuth client credentials grant (seed 001's hint, facts §2 "A client-credentials token acts as the
 * app owner's account"): `POST {url}/api/oauth/token` with `grant_type=client_credentials`, the client id
 * and secret, and `scope=public chat` (Boruta). The answer is `{access_token, expires_in, token_type, …}`.
 */

/** Scopes we ask for: `chat` to send and moderate, `public` to read. */
export const LOGIN_SCOPE = 'public chat';

/** A token counts as expired this long before its expiry, ms (renewed ahead of time). */
const EXPIRY_MARGIN_MS = 60_000;

/** True when `expiresAt` (ISO UTC) is missing-safe and due within a minute. */
export function tokenExpired(expiresAt: string | undefined, now = Date.now()): boolean {
  if (!expiresAt) return false;
  const at = Date.parse(expiresAt);
  return Number.isFinite(at) && at - EXPIRY_MARGIN_MS <= now;
}

/**
 * Runs the grant against `base` (site URL). Returns `{token, tokenIssuedAt, tokenExpiresAt}` (ISO UTC;
 * no expiry when the server gives no `expires_in`). Throws ChatError `auth` when refused (HTTP 400/401
 * with an OAuth error), `network`/`protocol` otherwise (a redirect to another host and an answer over 1 MiB
 * are refused: ../http.ts `httpText`). Neither the secret nor the token is ever in a message.
 */
export async function clientCredentials(base: string, clientId: string, clientSecret: string, signal?: AbortSignal): Promise<Partial<Profile>> {
  const url = `${httpBase(base)}/api/oauth/token`;
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: LOGIN_SCOPE });
  const answer = await httpText(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal,
      limit: MAX_FRAME_BYTES,
      unreachable: (err) => {
        const words = describeNetworkError(err);
        return words ? `cannot reach Glimesh: ${words}` : undefined;
      },
    },
    'login',
  );
  const status = answer.status;
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    json = undefined;
  }
  const obj = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  if (status < 200 || status >= 300) {
    const why = sanitizeLine(obj.error_description ?? obj.error ?? '').slice(0, 200);
    if (status === 400 || status === 401 || status === 403) {
      throw new ChatError('auth', `login: Glimesh refused the client credentials (HTTP ${status}${why ? `: ${why}` : ''})`, { retryable: false });
    }
    if (status === 404) throw new ChatError('not_found', 'login: no OAuth token endpoint at this --url (HTTP 404)', { retryable: false });
    throw new ChatError(status >= 500 ? 'network' : 'protocol', `login: HTTP ${status}${why ? `: ${why}` : ''}`);
  }
  const token = obj.access_token;
  if (typeof token !== 'string' || !token) throw new ChatError('protocol', 'login: the answer holds no access_token', { retryable: false });
  const now = Date.now();
  const patch: Partial<Profile> = { token, tokenIssuedAt: new Date(now).toISOString() };
  const expiresIn = Number(obj.expires_in);
  if (Number.isFinite(expiresIn) && expiresIn > 0) patch.tokenExpiresAt = new Date(now + expiresIn * 1000).toISOString();
  return patch;
}

/**
 * `chat-tui login --profile P --client-id ID --client-secret S`. Returns the fields to
 * store: token, tokenIssuedAt, tokenExpiresAt, and the client id/secret so that the token can be renewed
 * when it expires. Throws UsageError without both client id and secret.
 */
export async function login(profile: NamedProfile, opts: LoginOptions): Promise<Partial<Profile>> {
  const clientId = opts.clientId?.trim() ?? profile.clientId;
  const clientSecret = opts.clientSecret?.trim() ?? profile.clientSecret;
  if (!clientId || !clientSecret) {
    throw new UsageError('glimesh login needs --client-id ID and --client-secret SECRET (an OAuth application on Glimesh)');
  }
  const base = profile.url ?? 'https://glimesh.tv';
  opts.say(`requesting a token from ${new URL(httpBase(base)).host} (client credentials, scope "${LOGIN_SCOPE}") …`);
  const patch = await clientCredentials(base, clientId, clientSecret, opts.signal);
  return { ...patch, clientId, clientSecret };
}
