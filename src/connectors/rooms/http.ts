import { ChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { MAX_FRAME_BYTES, asErrorBody } from './wire.js';
import { cannotReachServer, httpText, type HttpTextRequest } from '../http.js';

/**
 * REST of the rooms service (facts A2, A3, A5): every endpoint is `POST <base><path>` with a JSON body
 * and, when authenticated, `Authorization: Bearer <token>` (case-sensitive, one space: the server
 * slices the first 7 bytes, facts A2). Errors are `{error, error_code}` JSON, except actix's extractor
 * 400s and the sso_check 404, which are plain text (facts A2, A3).
 */

/** The answer of one request: HTTP status, parsed JSON (undefined when not JSON), and the raw text (capped). */
export interface HttpAnswer {
  status: number;
  json: unknown;
  text: string;
}

/** `<base><path>` as an http(s) URL; the base may be given as ws(s) too. No path prefix is added (facts A1). */
export function restUrl(base: string, path: string): URL {
  const url = new URL(base);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url;
}

/** `<base>/chat/connect` as a ws(s) URL (facts A4). The token is never put in it (it goes in the first frame). */
export function socketUrl(base: string): URL {
  const url = restUrl(base, '/chat/connect');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Options of one request. */
export interface PostOptions {
  token?: string | undefined;
  body?: unknown;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  /** Largest body read, bytes (default 1 MiB). */
  limit?: number;
}

/**
 * `POST <base><path>` with a JSON body (`{}`-less when `body` is undefined: the endpoints without
 * parameters take none). `what` names the request in errors ("retrieve", "login"). Redirects follow
 * the connectors' one rule (same origin only; ../http.ts `safeFetch`) and the body is read up to
 * `limit`. Network failures and time-outs become ChatError network (retryable); a refused redirect or
 * an over-long body ChatError protocol; the URL is not put in messages. Never throws anything but
 * ChatError.
 */
export async function post(base: string, path: string, what: string, opts: PostOptions = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const req: HttpTextRequest = { method: 'POST', headers, signal: opts.signal, limit: opts.limit ?? MAX_FRAME_BYTES, unreachable: (err) => cannotReachServer(err, REFUSED_HINT) };
  if (opts.timeoutMs !== undefined) req.timeoutMs = opts.timeoutMs;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    req.body = JSON.stringify(opts.body);
  }
  const { status, text } = await httpText(restUrl(base, path), req, what);
  let json: unknown;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, json, text };
}

/** Appended to a refused connection's line: the usual cause. */
export const REFUSED_HINT = "; is it running at the profile's --url?";

/** Hint appended to auth errors: how to get a new token. */
export const LOGIN_HINT = 'log in again (chat-tui login --profile …) or give a new --token';

/**
 * The ChatError for a non-2xx answer of request `what` (facts A2, A5):
 * - 401 `AUTH_TOKEN_MISSING|INVALID|EXPIRED` → auth, not retryable, the code named;
 * - 404 `USER_NOT_FOUND`, `ROOM_NOT_FOUND`, or the doc's `NOT_FOUND` → not_found, not retryable;
 * - 500 `INTERNAL_SERVER_ERROR` and other 5xx → network, retryable;
 * - 400 (actix extractor, plain text) and other 4xx → protocol, not retryable, with the server's text.
 * The text is sanitised and short; it never holds the token.
 */
export function errorFromAnswer(answer: HttpAnswer, what: string): ChatError {
  const body = asErrorBody(answer.json);
  const said = body ? [body.text, body.code ? `(${body.code})` : ''].filter(Boolean).join(' ') : sanitizeLine(answer.text).trim().slice(0, 200);
  const detail = said || `HTTP ${answer.status}`;
  const code = body?.code ?? '';
  if (answer.status === 401 || code.startsWith('AUTH_TOKEN')) {
    const why = code === 'AUTH_TOKEN_EXPIRED' ? 'the token has expired' : code === 'AUTH_TOKEN_MISSING' ? 'no token was sent' : 'the server refused the token';
    return new ChatError('auth', `${what}: ${why}: ${detail}; ${LOGIN_HINT}`, { retryable: false });
  }
  if (answer.status === 404 || /NOT_FOUND$/.test(code)) return new ChatError('not_found', `${what}: ${detail}`, { retryable: false });
  if (answer.status === 403) return new ChatError('forbidden', `${what}: ${detail}`, { retryable: false });
  if (answer.status === 429) return new ChatError('rate_limited', `${what}: ${detail}`);
  if (answer.status >= 500) return new ChatError('network', `${what}: server error HTTP ${answer.status}: ${detail}`);
  return new ChatError('protocol', `${what}: refused (HTTP ${answer.status}): ${detail}`, { retryable: false });
}

/** `post` that throws `errorFromAnswer` unless the status is 2xx; returns the answer. */
export async function postOk(base: string, path: string, what: string, opts: PostOptions = {}): Promise<HttpAnswer> {
  const answer = await post(base, path, what, opts);
  if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, what);
  return answer;
}
