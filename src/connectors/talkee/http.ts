import { ChatError, toChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { MAX_FRAME_BYTES, type TalkeeErrorBody } from './wire.js';
import { cannotReachServer, readCapped } from '../http.js';

/**
 * HTTP for Talkee's two hosts (facts §6 chat REST on the WS host, §7 REST API). Talkee answers errors
 * with HTTP 200 and `{code, msg}` (facts §8), so callers look at the body, not only at the status.
 */

/** Time limit of one request, ms. */
export const HTTP_TIMEOUT_MS = 20_000;

/** The answer of one request: HTTP status, parsed JSON (undefined when not JSON), raw text length. */
export interface HttpAnswer {
  status: number;
  json: unknown;
  empty: boolean;
}

/**
 * Sends one request and parses the JSON answer. `what` names the request in errors ("send", "login").
 * Network failures and time-outs become ChatError network (retryable); the URL (which carries no token,
 * but may carry a site id) is not put in messages. Never throws anything but ChatError.
 */
export async function request(
  url: URL,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  what: string,
  signal?: AbortSignal,
  timeoutMs = HTTP_TIMEOUT_MS,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const all = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    const opts: RequestInit = { method: init.method, headers: { 'user-agent': 'chat-tui', ...init.headers }, signal: all, redirect: 'follow' };
    if (init.body !== undefined) opts.body = init.body;
    res = await fetch(url, opts);
  } catch (err) {
    if (timeout.aborted) throw new ChatError('network', `${what}: no answer within ${Math.round(timeoutMs / 1000)} s`);
    if (signal?.aborted) throw new ChatError('network', `${what}: cancelled`);
    const e = toChatError(err);
    throw new ChatError('network', `${what}: ${describeFetchError(err, e.message)}`);
  }
  let text: string;
  try {
    text = await readCapped(res, MAX_FRAME_BYTES);
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('network', `${what}: the connection broke while reading the answer`);
  }
  let json: unknown;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, json, empty: text.trim() === '' };
}

/** One line for a fetch failure (see cannotReachServer). */
function describeFetchError(err: unknown, fallback: string): string {
  const unreachable = cannotReachServer(err);
  if (unreachable) return unreachable;
  return sanitizeLine(fallback).slice(0, 200);
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
