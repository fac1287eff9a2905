import { ChatError } from '../../core/errors.js';
import { cannotReachServer, httpText } from '../http.js';

/**
 * Which protocol a chatapi profile speaks (facts §B1: three servers answer to the name ChatAPI):
 * - `docs`: Doc B (chatapi.seed.md) as written — a WebSocket per room at `/ws/{room_id}`, REST `/api/v1`.
 *   No real server speaks it; the conformance fakes and the demo do.
 * - `socketio`: the Python server (facts §B3–B5) — Socket.IO v5 at `/sockets/`, REST `/api/v1`.
 * - `v2`: the Go rewrite (facts §B6 and its addendum; `hastenr/chatapi`) — one WebSocket `/ws`, REST
 *   without a prefix, flat frames with `seq`.
 * - `auto`: not known yet; the server is probed once ({@link probeProtocol}) and the answer stored.
 */
export type ChatApiProtocol = 'docs' | 'socketio' | 'v2';

/** What a profile may say: a protocol, or `auto`. */
export type ProtocolSetting = ChatApiProtocol | 'auto';

/** Every value of `--protocol`. */
export const PROTOCOL_SETTINGS: readonly ProtocolSetting[] = ['auto', 'docs', 'socketio', 'v2'];

/**
 * The protocol setting of a stored profile: its `protocol`, or `auto` when it has none (a profile
 * whose server could not be reached at `profile add`, or stored before there was a choice: the probe
 * at its next connect finds a Doc B server as `docs` again).
 */
export function protocolSetting(p: { protocol?: string | undefined }): ProtocolSetting {
  const v = p.protocol;
  return v === 'socketio' || v === 'v2' || v === 'docs' ? v : 'auto';
}

/** Time limit of each probe request, ms. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * Probes a chatapi server once (no credential needed: every probed path is public):
 * - `GET /sockets/?EIO=4&transport=polling` answered with an Engine.IO open packet (`0{"sid":…`) →
 *   `socketio` (facts §B4: the Engine.IO path is `/sockets/`);
 * - `GET /api/v1/utils/health-check/` answered `true` → `socketio` (facts §B3, the Python server);
 * - `GET /health` answered with JSON `{"status": …}` → `v2` (facts §B6 addendum; the Go handler
 *   `HandleHealth`: `{"status":"ok","db_writable":…}`);
 * - any other answer (the server is there but none of these) → `docs`.
 * Resolves undefined when the server could not be reached at all, or answered no probe in time (the
 * caller keeps `auto` and probes again at the next connect). Never throws.
 */
export async function probeProtocol(baseUrl: string, signal?: AbortSignal): Promise<ChatApiProtocol | undefined> {
  try {
    const found = await probeOrThrow(baseUrl, signal);
    return found.sure ? found.protocol : undefined;
  } catch {
    return undefined;
  }
}

/** What a probe found; `sure` is false when the server answered no probe in time (then `docs`, not to be stored). */
export interface ProbeResult {
  protocol: ChatApiProtocol;
  sure: boolean;
}

/**
 * {@link probeProtocol} for a connect: throws ChatError `network` (retryable) with the words of the
 * failed connection (`cannot reach the server: connection refused (ECONNREFUSED) at …`) when no
 * probe reached the server, `protocol` (not retryable) for a URL that does not parse.
 */
export async function probeOrThrow(baseUrl: string, signal?: AbortSignal): Promise<ProbeResult> {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new ChatError('protocol', 'the profile URL is not a valid URL', { retryable: false });
  }
  const root = `${base.protocol === 'wss:' || base.protocol === 'https:' ? 'https:' : 'http:'}//${base.host}${base.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}`;
  let reached = false;
  let answered = false;
  let failure: string | undefined;
  const get = async (path: string): Promise<{ status: number; text: string } | undefined> => {
    try {
      const res = await httpText(root + path, { method: 'GET', headers: { accept: '*/*' }, signal, timeoutMs: PROBE_TIMEOUT_MS, limit: 64 * 1024, unreachable: (err) => cannotReachServer(err) }, 'probe');
      reached = true;
      answered = true;
      return { status: res.status, text: res.text };
    } catch (err) {
      const text = err instanceof Error ? err.message.replace(/^probe: /, '') : String(err);
      // A server that answered something unusable (too big, a redirect elsewhere), or took the connection
      // but did not answer in time, is there: it is no v2 or Socket.IO server we know.
      if (err instanceof ChatError && err.code === 'protocol') reached = answered = true;
      else if (/^no answer within/.test(text)) reached = true;
      failure ??= text;
      return undefined;
    }
  };
  const [eio, pyHealth, goHealth] = await Promise.all([get('/sockets/?EIO=4&transport=polling'), get('/api/v1/utils/health-check/'), get('/health')]);
  if (eio?.status === 200 && /^0\{"sid"/.test(eio.text)) return { protocol: 'socketio', sure: true };
  if (pyHealth?.status === 200 && pyHealth.text.trim() === 'true') return { protocol: 'socketio', sure: true };
  if (goHealth && (goHealth.status === 200 || goHealth.status === 503)) {
    try {
      const o = JSON.parse(goHealth.text) as { status?: unknown };
      if (o && typeof o === 'object' && typeof o.status === 'string') return { protocol: 'v2', sure: true };
    } catch {
      // not the Go server's health answer
    }
  }
  if (reached) return { protocol: 'docs', sure: answered };
  throw new ChatError('network', failure ?? 'cannot reach the server', { retryable: true });
}
