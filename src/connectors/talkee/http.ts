import { ChatError } from '../../core/errors.js';
import { MAX_FRAME_BYTES, type TalkeeErrorBody } from './wire.js';
import { HTTP_TIMEOUT_MS, cannotReachServer, httpText, type HttpTextRequest } from '../http.js';

/**
 * HTTP for Talkee's two hosts (facts §6 chat REST on the WS host, §7 REST API). Talkee answers errors
 * with HTTP 200 and `{code, msg}` (facts §8), so callers look at the body, not only at the status.
 */

/** The answer of one request: HTTP status, parsed JSON (undefined when not JSON), whether the body was empty. */
export interface HttpAnswer {
  status: number;
  json: unknown;
  empty: boolean;
}

/**
 * Sends one request and parses the JSON answer. `what` names the request in errors ("send", "login").
 * Redirects follow the connectors' one rule (same origin only: the login's Mixin token and the access
 * token never go to another host; ../http.ts `safeFetch`), and the body is read up to 1 MiB
 * (MAX_FRAME_BYTES). Network failures and time-outs become ChatError network (retryable); a refused
 * redirect or an over-long body ChatError protocol. The URL (which carries no token, but may carry a
 * site id) is not put in messages. Never throws anything but ChatError.
 */
export async function request(
  url: URL,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  what: string,
  signal?: AbortSignal,
  timeoutMs = HTTP_TIMEOUT_MS,
): Promise<HttpAnswer> {
  const req: HttpTextRequest = { method: init.method, signal, timeoutMs, limit: MAX_FRAME_BYTES, unreachable: (err) => cannotReachServer(err) };
  if (init.headers) req.headers = init.headers;
  if (init.body !== undefined) req.body = init.body;
  const { status, text } = await httpText(url, req, what);
  let json: unknown;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, json, empty: text.trim() === '' };
}

/**
 * A ChatError for a Talkee `{code, msg}` (facts §8), `what` naming the operation. 401 → auth (not
 * retryable; the access token is refused or expired, facts §4: no refresh, log in again); 403 →
 * forbidden; 404 → not_found; 429 → rate_limited; "invalid site id"/"invalid slug" → not_found (bad
 * profile, not retryable); other 4xx → protocol (not retryable: sending it again gives the same answer);
 * 5xx → network (retryable).
 */
export function errorFromBody(body: TalkeeErrorBody, what: string): ChatError {
  const msg = body.msg || `code ${body.code}`;
  if (body.code === 401) return new ChatError('auth', `${what}: talkee refused the access token (${msg}); log in again: chat-tui login --mixin-token …, or give a new --token`, { retryable: false });
  if (/invalid (site id|slug)/i.test(msg)) return new ChatError('not_found', `${what}: talkee refused the site/slug: ${msg}`, { retryable: false });
  if (body.code === 403) return new ChatError('forbidden', `${what}: ${msg}`, { retryable: false });
  if (body.code === 404) return new ChatError('not_found', `${what}: ${msg}`, { retryable: false });
  if (body.code === 429) return new ChatError('rate_limited', `${what}: ${msg}`);
  if (body.code >= 500) return new ChatError('network', `${what}: server error ${body.code}: ${msg}`);
  return new ChatError('protocol', `${what}: ${msg}`, { retryable: false });
}

/** A ChatError for an answer that is neither the expected JSON nor `{code, msg}` (real statuses ≥ 300, empty bodies). */
export function errorFromStatus(status: number, what: string): ChatError {
  if (status === 401) return new ChatError('auth', `${what}: HTTP 401 unauthorized`, { retryable: false });
  if (status === 403) return new ChatError('forbidden', `${what}: HTTP 403 forbidden`, { retryable: false });
  if (status === 404) return new ChatError('not_found', `${what}: HTTP 404 not found (check --url / --api-url)`, { retryable: false });
  if (status === 429) return new ChatError('rate_limited', `${what}: HTTP 429 too many requests`);
  if (status >= 500) return new ChatError('network', `${what}: server error HTTP ${status}`);
  return new ChatError('protocol', `${what}: unexpected answer (HTTP ${status})`, { retryable: false });
}
