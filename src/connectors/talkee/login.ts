import type { LoginOptions } from '../../core/connector.js';
import { ChatError, UsageError } from '../../core/errors.js';
import type { NamedProfile, Profile } from '../../core/profile.js';
import { errorFromBody, errorFromStatus, request } from './http.js';
import { DEFAULT_API_URL, apiUrl } from './urls.js';
import { asErrorBody, readAccessToken, unwrap, userRef } from './wire.js';

/**
 * `chat-tui login --profile P --mixin-token T` for talkee (facts §4, §7, §11 "Login"):
 * 1. POST `{apiUrl}/auth/login` with an `Origin` header — the server slices the Origin before it looks
 *    at anything else and answers HTTP 500 with an empty body without one (facts §4) — and the body
 *    `{"method":"mixin_token","mixin_token":T,"lang":"en"}`;
 * 2. takes `data.access_token` from the `{ts, data}` envelope (facts §8);
 * 3. reads our user from GET `{apiUrl}/me` with that token (`{ts, data: User}`).
 * Returns the profile fields to store: token, userId, userName, tokenIssuedAt/tokenExpiresAt (ISO UTC,
 * from the token's `exp`; the token lasts 365 days and cannot be refreshed, facts §4).
 * Throws UsageError without a Mixin token; ChatError auth when Talkee refuses it (`{code:401,msg:"invalid issuer"}`),
 * network/protocol otherwise. Neither token ever appears in a message.
 */
export async function login(profile: NamedProfile, opts: LoginOptions): Promise<Partial<Profile>> {
  const mixinToken = opts.mixinToken?.trim();
  if (!mixinToken) {
    throw new UsageError('talkee login needs --mixin-token TOKEN (a Mixin token signed for GET /me, or a Mixin OAuth token for Talkee); or store an access token with --token');
  }
  const base = profile.apiUrl ?? DEFAULT_API_URL;
  const loginUrl = apiUrl(base, '/auth/login');
  // Any origin with "//" works for method mixin_token (facts §4); the API's own origin is a neutral choice.
  const origin = loginUrl.origin === 'null' ? 'https://chat-tui.invalid' : loginUrl.origin;
  opts.say(`logging in to talkee at ${loginUrl.host} …`);
  const answer = await request(
    loginUrl,
    {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'mixin_token', mixin_token: mixinToken, lang: 'en' }),
    },
    'login',
    opts.signal,
  );
  if (answer.empty && answer.status >= 500) throw new ChatError('protocol', `login: talkee answered HTTP ${answer.status} with an empty body`, { retryable: false });
  const data = unwrap(answer.json);
  const refused = asErrorBody(data);
  if (refused) {
    if (refused.code === 401) throw new ChatError('auth', `login: talkee refused the Mixin token (${refused.msg || 'unauthorized'})`, { retryable: false });
    throw errorFromBody(refused, 'login');
  }
  if (answer.status >= 300) throw errorFromStatus(answer.status, 'login');
  const token = data && typeof data === 'object' ? (data as { access_token?: unknown }).access_token : undefined;
  if (data === null) throw new ChatError('protocol', 'login: talkee did not accept the login method', { retryable: false });
  if (typeof token !== 'string' || token === '') throw new ChatError('protocol', 'login: the answer holds no access_token', { retryable: false });

  const meAnswer = await request(apiUrl(base, '/me'), { method: 'GET', headers: { authorization: `Bearer ${token}` } }, 'login (GET /me)', opts.signal);
  const me = unwrap(meAnswer.json);
  const meRefused = asErrorBody(me);
  if (meRefused) throw errorFromBody(meRefused, 'login (GET /me)');
  if (meAnswer.status >= 300) throw errorFromStatus(meAnswer.status, 'login (GET /me)');
  if (!me || typeof me !== 'object') throw new ChatError('protocol', 'login: GET /me did not return a user', { retryable: false });
  const user = userRef(me);
  opts.say(`logged in as ${user.name} (id ${user.id})`);

  const patch: Partial<Profile> = { token, userId: user.id, userName: user.name, tokenIssuedAt: new Date().toISOString() };
  const exp = readAccessToken(token)?.exp;
  if (exp !== undefined) {
    const at = new Date(exp * 1000);
    if (!Number.isNaN(at.getTime())) patch.tokenExpiresAt = at.toISOString();
  }
  return patch;
}
