import { ChatError } from '../core/errors.js';

/**
 * Reads a `fetch` response body as UTF-8 text, up to `limit` bytes (issue 7 "Oversized input is
 * bounded"): a longer body is cancelled and ChatError `protocol` (not retryable) is thrown, naming the
 * limit in MiB (or KiB below 1 MiB). A response without a body is ''. Shared by the connectors' REST code.
 */
export async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      const MiB = 1024 * 1024;
      const shown = limit >= MiB ? `${Math.round(limit / MiB)} MiB` : `${Math.round(limit / 1024)} KiB`;
      throw new ChatError('protocol', `the server's answer is larger than ${shown}`, { retryable: false });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
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
