import { ChatError } from '../../core/errors.js';
import { cannotReachServer, httpText, type HttpTextRequest } from '../http.js';
import { httpError, retryAfterMs } from './wire.js';

/**
 * One JSON REST call of a chatapi server, whichever protocol (Doc B, the Python server's, the Go
 * rewrite's): `../http.ts` for the request (redirects within the origin only, a time limit, a capped
 * body), then the status mapped with `httpError` (401 auth, 403 forbidden, 404 not_found, 429
 * rate_limited with Retry-After in ms, 5xx network). Plain-text bodies are error texts (the Go
 * rewrite's `http.Error`, facts §B6).
 */

/** The longest REST body read, bytes (bigger answers are a protocol error). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** One request: `headers` carry the credential (never put into an error text). */
export interface RestCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** JSON body (sent with `content-type: application/json`). */
  body?: unknown;
  /** Names the request in errors: `send to room 550e8400…`. */
  what: string;
  signal?: AbortSignal | undefined;
  /** Time limit, ms (default 15 s). */
  timeoutMs?: number | undefined;
}

/**
 * Performs `call`; returns the parsed JSON body (undefined for an empty body, e.g. 204). Throws
 * ChatError: HTTP errors via `httpError` (an error envelope `{"status":"error"}` on a 2xx too, facts
 * §B2), network failures and time-outs as `network`, a success body that is not JSON as `protocol`.
 */
export async function restJson(call: RestCall): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  const req: HttpTextRequest = {
    method: call.method,
    headers,
    signal: call.signal,
    timeoutMs: call.timeoutMs ?? 15_000,
    limit: MAX_BODY_BYTES,
    unreachable: (err) => cannotReachServer(err),
  };
  if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    req.body = JSON.stringify(call.body);
  }
  const res = await httpText(call.url, req, call.what);
  let json: unknown;
  if (res.text.trim()) {
    try {
      json = JSON.parse(res.text);
    } catch {
      json = res.text; // plain-text errors (the Go rewrite's http.Error, facts §B6)
    }
  }
  if (res.status < 200 || res.status >= 300) throw httpError(res.status, json, call.what, retryAfterMs(res.headers.get('retry-after')));
  const o = json as { status?: unknown } | undefined;
  if (o && typeof o === 'object' && o.status === 'error') throw httpError(400, json, call.what);
  if (typeof json === 'string') throw new ChatError('protocol', `${call.what}: the server did not answer with JSON`);
  return json;
}
