import { isLoopbackHost } from '../config/validate.js';
import { ChatError, toChatError } from '../core/errors.js';
import { ellipsize, sanitizeLine } from '../core/sanitize.js';

/**
 * HTTP for every connector and login flow: one redirect rule ({@link safeFetch}), one capped body
 * reader ({@link readCapped}), and one request ({@link httpText}) that puts them together with a time
 * limit and one-line errors. The words for failed connections are at the end of this file.
 */

/** Time limit of one request, ms (connect, headers and body). */
export const HTTP_TIMEOUT_MS = 20_000;

/** `limit` bytes in words: `1 MiB`, `16 MiB`, `64 KiB`. */
function sizeWords(limit: number): string {
  const MiB = 1024 * 1024;
  return limit >= MiB ? `${Math.round(limit / MiB)} MiB` : `${Math.round(limit / 1024)} KiB`;
}

/**
 * Reads a `fetch` response body as UTF-8 text, up to `limit` bytes, chunk by chunk: a longer body
 * (with or without a Content-Length, endless or not) is cancelled as soon as it passes the limit —
 * at most `limit` plus one chunk is ever held — and ChatError `protocol` (not retryable) is thrown:
 * `<what>: the server's answer is larger than 1 MiB` (`what` and its colon left out when not given).
 * A Content-Length above the limit is refused before reading. A response without a body is ''.
 * Errors of the stream itself (a dropped connection, an abort) are passed on as they are.
 */
export async function readCapped(res: Response, limit: number, what?: string): Promise<string> {
  if (!res.body) return '';
  const tooBig = (): ChatError => new ChatError('protocol', `${what ? `${what}: ` : ''}the server's answer is larger than ${sizeWords(limit)}`, { retryable: false });
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body.cancel().catch(() => {});
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** How many same-origin redirects a request follows. */
export const MAX_REDIRECTS = 1;

/** Where a redirect points, for a message: the origin only (a path or query may carry anything), one line, short. */
function whereTo(url: URL): string {
  const plain = url.protocol === 'http:' && !isLoopbackHost(url.hostname) ? ', plain http' : '';
  return `${ellipsize(sanitizeLine(url.origin), 100)}${plain}`;
}

/**
 * `fetch` with one redirect rule for every connector and login flow: redirects are never followed
 * by fetch itself (`redirect: 'manual'`), because it would carry our headers (Authorization,
 * X-API-Key) and, on 307/308, the body (a login token) to wherever the server points. Instead:
 * - a redirect to another origin (another host, port or scheme — so also https → http, and any plain
 *   http off this machine) is refused;
 * - a same-origin redirect is followed at most {@link MAX_REDIRECTS} time(s): GET and HEAD follow any
 *   3xx with the same method; other methods only 307/308, which keep method and body by definition
 *   (RFC 9110 §15.4.8/9) — a 301/302/303 would turn a POST into a GET, no longer the request we meant.
 * What is not followed is ChatError `protocol` (not retryable), one line naming where the server tried
 * to send us (its origin), prefixed with `what`: `login: the server redirected to another host (http://chat.invalid, plain
 * http); not followed`. A 3xx without a Location is returned as it is. `init.redirect` is ignored; the
 * body must be a string or URLSearchParams (re-sendable). fetch's own errors are passed on.
 */
export async function safeFetch(url: URL | string, init: RequestInit, what?: string): Promise<Response> {
  const said = what ? `${what}: ` : '';
  const opts: RequestInit = { ...init, redirect: 'manual' };
  let target = new URL(url);
  let res = await fetch(target, opts);
  for (let hops = 0; ; hops++) {
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel().catch(() => {});
    let next: URL;
    try {
      next = new URL(location, target);
    } catch {
      throw new ChatError('protocol', `${said}the server redirected to an address that is not a URL; not followed`, { retryable: false });
    }
    if (next.origin !== target.origin) {
      throw new ChatError('protocol', `${said}the server redirected to another host (${whereTo(next)}); not followed`, { retryable: false });
    }
    const method = (opts.method ?? 'GET').toUpperCase();
    const keepsMethod = res.status === 307 || res.status === 308;
    if (method !== 'GET' && method !== 'HEAD' && !keepsMethod) {
      throw new ChatError('protocol', `${said}the server answered the ${method} with a redirect (HTTP ${res.status}) to ${ellipsize(sanitizeLine(next.pathname), 100)}; not followed`, { retryable: false });
    }
    if (hops >= MAX_REDIRECTS) {
      throw new ChatError('protocol', `${said}the server redirected more than ${MAX_REDIRECTS === 1 ? 'once' : `${MAX_REDIRECTS} times`} (last to ${ellipsize(sanitizeLine(next.pathname), 100)}); not followed`, { retryable: false });
    }
    target = next;
    res = await fetch(target, opts);
  }
}

/** One request of {@link httpText}. */
export interface HttpTextRequest {
  method: string;
  headers?: Record<string, string>;
  /** A string or URLSearchParams (re-sendable on a same-origin 307/308). */
  body?: string | URLSearchParams;
  signal?: AbortSignal | undefined;
  /** Time limit of the whole request (connect, headers, body), ms; default {@link HTTP_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** The largest body read, bytes. */
  limit: number;
  /**
   * Words for a failed connection (fetch rejected), e.g. `cannot reach the server: connection refused
   * (ECONNREFUSED)`; undefined falls back to fetch's own message, sanitised and short.
   */
  unreachable?: (err: unknown) => string | undefined;
}

/** The answer of {@link httpText}: status, headers and the body as text (at most `limit` bytes). */
export interface HttpTextAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP request the way every connector makes them: {@link safeFetch} (the redirect rule), a time
 * limit over connect, headers and body, and the body through {@link readCapped}. Resolves for every
 * HTTP status (the caller maps statuses to errors). Throws only ChatError, each one line prefixed with
 * `what` and never holding the URL (it may carry a key): `network` (retryable) for a failed connection
 * (`req.unreachable`'s words), `no answer within N s`, `cancelled` (the caller's signal), or `the
 * connection broke while reading the answer`; `protocol` (not retryable) for a refused redirect or a
 * body over the limit.
 */
export async function httpText(url: URL | string, req: HttpTextRequest, what: string): Promise<HttpTextAnswer> {
  const timeoutMs = req.timeoutMs ?? HTTP_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const failed = (err: unknown, reading: boolean): ChatError => {
    if (err instanceof ChatError) return err;
    if (timeout.aborted) return new ChatError('network', `${what}: no answer within ${Math.round(timeoutMs / 1000)} s`);
    if (req.signal?.aborted) return new ChatError('network', `${what}: cancelled`);
    if (reading) return new ChatError('network', `${what}: the connection broke while reading the answer`);
    const words = req.unreachable?.(err) ?? ellipsize(sanitizeLine(toChatError(err).message), 200);
    return new ChatError('network', `${what}: ${words}`);
  };
  const init: RequestInit = { method: req.method, headers: { 'user-agent': 'chat-tui', ...req.headers }, signal };
  if (req.body !== undefined) init.body = req.body;
  let res: Response;
  try {
    res = await safeFetch(url, init, what);
  } catch (err) {
    throw failed(err, false);
  }
  try {
    return { status: res.status, headers: res.headers, text: await readCapped(res, req.limit, what) };
  } catch (err) {
    throw failed(err, true);
  }
}

/** Words for the system/TLS/undici error codes a connection attempt ends with. */
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer from the server',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server has a self-signed TLS certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server has a self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server TLS certificate could not be verified',
  CERT_HAS_EXPIRED: 'the server TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server TLS certificate is for another host',
  EPROTO: 'TLS handshake failed (is it an https:// server?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is it an https:// server?)',
};

/** What a failed connection attempt carries: its system/TLS/undici code (or 'bad port') and, when the error says, the address it tried. */
interface NetworkFailure {
  code: string;
  /** `host:port` (IPv6 in brackets) from the system error, when it carries them. */
  where?: string;
}

/** The {@link NetworkFailure} of a failed connection attempt, or undefined. */
function networkFailure(err: unknown): NetworkFailure | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length && seen.size < 8) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as { code?: unknown; cause?: unknown; error?: unknown; errors?: unknown; message?: unknown; address?: unknown; port?: unknown };
    if (typeof o.code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(o.code)) return { code: o.code, ...whereOf(o.address, o.port) };
    if (o.message === 'bad port') return { code: 'bad port' };
    queue.push(o.cause, o.error);
    if (Array.isArray(o.errors)) queue.push(o.errors[0]);
  }
  return undefined;
}

/** `{where: 'host:port'}` from a system error's `address` and `port` (an IP literal and a number: never a URL or a secret), else {}. */
function whereOf(address: unknown, port: unknown): { where?: string } {
  if (typeof address !== 'string' || !/^[0-9A-Fa-f:.]{2,45}$/.test(address)) return {};
  const host = address.includes(':') ? `[${address}]` : address;
  return typeof port === 'number' && Number.isInteger(port) ? { where: `${host}:${port}` } : { where: host };
}

/** Words for a {@link NetworkFailure}: `connection refused (ECONNREFUSED) at 127.0.0.1:8000`. */
function networkWords(f: NetworkFailure): string {
  if (f.code === 'bad port') return 'fetch will not connect to this port (browsers block it too); use another port';
  const words = NETWORK_WORDS[f.code];
  const at = f.where ? ` at ${f.where}` : '';
  return words ? `${words} (${f.code})${at}` : `${f.code.toLowerCase()}${at}`;
}

/**
 * One short line for why a connection attempt (`fetch`, a `ws` socket, phoenix's socket error event)
 * failed, or undefined when the error carries nothing recognisable: looks for a string `code` on the
 * error, its `cause`, its `error` (a WebSocket ErrorEvent) and the first of its `errors` (an
 * AggregateError from connecting to several addresses), and names it in words with the code, e.g.
 * `connection refused (ECONNREFUSED) at 127.0.0.1:8000` (the address is an IP literal and port from the
 * system error, never a URL). fetch's own refusal of a port that browsers block (6000, 6667…)
 * is named too. Never includes a URL (it may carry a key). Shared by the connectors.
 */
export function describeNetworkError(err: unknown): string | undefined {
  const f = networkFailure(err);
  return f === undefined ? undefined : networkWords(f);
}

/**
 * `cannot reach the server: <words>` for a failed connection attempt (see {@link describeNetworkError}),
 * with `refusedHint` appended when the server refused the connection (ECONNREFUSED); undefined when the
 * error carries nothing recognisable. The line the chatapi, talkee and rooms connectors give.
 */
export function cannotReachServer(err: unknown, refusedHint = ''): string | undefined {
  const f = networkFailure(err);
  if (f === undefined) return undefined;
  return `cannot reach the server: ${networkWords(f)}${f.code === 'ECONNREFUSED' ? refusedHint : ''}`;
}
