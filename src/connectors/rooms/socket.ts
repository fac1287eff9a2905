import type { IncomingMessage } from 'node:http';
import { frameBuffer, guardFrame, openWebSocket, type LinkAttempt, type LinkConnection, type LinkEnd, type NoticeThrottle } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { cannotReachServer } from '../http.js';
import { LOGIN_HINT, REFUSED_HINT, socketUrl } from './http.js';
import { MAX_FRAME_BYTES, authFrame, classifyFrame, readMessage, type WireMessage } from './wire.js';

/**
 * One rooms socket, `GET <url>/chat/connect` (facts A4), for one attempt of the session's link:
 * 1. on open, `{"auth_token": T}` is the first frame (facts A4.1; never in the URL);
 * 2. the connection is made only on a frame whose `status` is `CONNECTED` (with or without `type`,
 *    facts A7) — then `connected()` runs the catch-up, and only after it the link is up; an
 *    `{error, error_code}` frame before it is the auth refusal (AUTH_TOKEN_INVALID/EXPIRED), after which
 *    the server ends the socket: not retried;
 * 3. any frame with a `message` object is a chat message, whatever `type` says (facts A7);
 * 4. no CONNECTED within `connectedTimeoutMs` ends the socket (a server that never subscribes).
 * Frames are bounded (1 MiB; ws ends the socket beyond 8 MiB) and never throw.
 */

/** Frames larger than this close the socket inside `ws` (memory bound); 1 MiB < size ≤ this are dropped with a notice. */
export const WS_MAX_PAYLOAD = 8 * MAX_FRAME_BYTES;

/** What the session does with one socket. */
export interface SocketHooks {
  /** The auth token. */
  token: string;
  /** CONNECTED arrived: catch up (resolves when done; rejects: the socket is replaced). */
  connected(signal: AbortSignal): Promise<void>;
  /** A chat message frame; false when the catch-up hold is full (the socket is replaced). */
  message(m: WireMessage): boolean;
  notices: NoticeThrottle;
  /** The open socket's send, once CONNECTED (undefined when it ends). */
  setSend(send: ((frame: string, done: (err?: Error) => void) => void) | undefined): void;
}

/** Timers of a socket (ms). */
export interface SocketTimers {
  handshakeTimeoutMs?: number;
  connectedTimeoutMs?: number;
}

/** Opens one socket for `a`; see the module comment. */
export function openRoomsSocket(base: string, a: LinkAttempt, h: SocketHooks, t: SocketTimers, floodLimit: number): LinkConnection {
  let ws: ReturnType<typeof openWebSocket>;
  try {
    ws = openWebSocket(socketUrl(base), { handshakeTimeout: t.handshakeTimeoutMs ?? 15_000, maxPayload: WS_MAX_PAYLOAD });
  } catch (err) {
    throw new ChatError('protocol', `rooms: bad socket URL: ${toChatError(err).message}`, { retryable: false });
  }
  let opened = false;
  let connected = false;
  let refusal: ChatError | undefined;
  let lastError: Error | undefined;
  let tooBig = false;
  let said: string | undefined;
  let connectedTimer: NodeJS.Timeout | undefined;
  const early: WireMessage[] = [];
  const connectedMs = t.connectedTimeoutMs ?? 15_000;
  const notice = (kind: string, text: string): void => h.notices.notice(kind, text);

  ws.on('unexpected-response', (_req, res: IncomingMessage) => {
    const status = res.statusCode ?? 0;
    res.resume();
    refusal =
      status === 404
        ? new ChatError('not_found', "rooms: no chat socket at <url>/chat/connect (HTTP 404); check the profile's --url", { retryable: false })
        : status === 401 || status === 403
          ? new ChatError('auth', `rooms: the server refused the socket (HTTP ${status}); ${LOGIN_HINT}`, { retryable: false })
          : new ChatError('network', `rooms: the server did not open a socket (HTTP ${status})`);
    ws.terminate();
  });
  ws.on('open', () => {
    opened = true;
    a.watch();
    ws.send(authFrame(h.token)); // the first frame (facts A4.1); never in the URL
    connectedTimer = setTimeout(() => {
      said = `no CONNECTED from the server within ${Math.round(connectedMs / 1000)} s`;
      ws.terminate();
    }, connectedMs);
  });
  ws.on('pong', () => a.alive());
  ws.on('ping', () => a.alive());
  ws.on('message', (data, isBinary) => {
    a.alive();
    guardFrame(
      () => onFrame(frameBuffer(data), isBinary),
      () => notice('malformed', 'rooms: ignored a frame that could not be read'),
    );
  });
  const onFrame = (buf: Buffer, isBinary: boolean): void => {
    const frame = readFrame(buf, isBinary, notice);
    if (!frame) return;
    if (frame.kind === 'error') {
      // The auth refusal (facts A4.1): one frame, then the server stops the socket. Not retried.
      if (!connected || frame.code.startsWith('AUTH_TOKEN')) {
        const why = frame.code === 'AUTH_TOKEN_EXPIRED' ? 'the token has expired' : frame.code === 'AUTH_TOKEN_INVALID' ? 'the token is invalid' : 'the server refused the connection';
        const detail = [frame.text, frame.code ? `(${frame.code})` : ''].filter(Boolean).join(' ');
        refusal = new ChatError('auth', `rooms: ${why}: ${detail || 'no reason given'}; ${LOGIN_HINT}`, { retryable: false });
        ws.terminate();
      } else {
        notice('server-error', `rooms: the server said: ${frame.text || frame.code}`);
      }
      return;
    }
    if (frame.kind === 'connected') {
      if (connected) return;
      connected = true;
      clearTimeout(connectedTimer);
      h.setSend((text, done) => ws.send(text, done));
      // The catch-up holds live messages from here on; the ones before CONNECTED join the hold.
      const catchUp = h.connected(a.signal);
      for (const m of early.splice(0)) onMessage(m);
      catchUp.then(
        () => a.up(),
        (err: unknown) => {
          if (a.signal.aborted) return;
          const e = toChatError(err);
          if (e.code === 'auth') refusal = e;
          else notice('catch-up', `rooms: catching up failed: ${e.message}; reconnecting`);
          ws.terminate();
        },
      );
      return;
    }
    if (frame.kind === 'message') {
      const m = readMessage(frame.raw);
      if (!m) return notice('malformed', 'rooms: ignored a message frame without a numeric id or a room');
      if (!connected) {
        if (early.length < floodLimit) early.push(m);
        return;
      }
      return onMessage(m);
    }
    notice('other', 'rooms: ignored a frame that is neither a message nor a status');
  };
  let flooded = false;
  const onMessage = (m: WireMessage): void => {
    if (h.message(m) || flooded) return;
    flooded = true;
    notice('catch-up-flood', `rooms: over ${floodLimit} live messages arrived during the catch-up; reconnecting to catch up from the server instead`);
    ws.terminate();
  };
  ws.on('error', (err: Error) => {
    lastError = err;
    if (/max payload/i.test(err.message)) tooBig = true;
  });
  ws.on('close', (code: number, reason: Buffer) => {
    clearTimeout(connectedTimer);
    h.setSend(undefined);
    if (refusal) return a.end({ error: refusal });
    if (!opened) {
      const e = lastError ? describeSocketError(lastError) : 'the connection closed before the socket opened';
      return a.end({ error: new ChatError('network', `rooms: ${e}`) });
    }
    if (tooBig) notice('huge', `rooms: the server sent a frame over ${WS_MAX_PAYLOAD / MAX_FRAME_BYTES} MiB; reconnecting`);
    const end: LinkEnd = { code, reason: reason.toString('utf8') };
    if (said !== undefined) end.said = said;
    a.end(end);
  });
  return {
    close: () => (ws.readyState === ws.CONNECTING ? ws.terminate() : ws.close(1000)),
    terminate: () => ws.terminate(),
    // The server sends no heartbeat but answers WS pings (facts A4.4).
    ping: () => {
      if (ws.readyState === ws.OPEN) ws.ping();
    },
  };
}

/** Parses one inbound frame; undefined (with a notice) for binary, oversized or non-JSON frames. Never throws. */
function readFrame(buf: Buffer, isBinary: boolean, notice: (kind: string, text: string) => void): ReturnType<typeof classifyFrame> | undefined {
  if (isBinary) {
    notice('binary', 'rooms: ignored a binary frame from the server');
    return undefined;
  }
  if (buf.length > MAX_FRAME_BYTES) {
    notice('huge', `rooms: dropped a ${buf.length}-byte frame (over ${MAX_FRAME_BYTES / 1024 / 1024} MiB)`);
    return undefined;
  }
  try {
    return classifyFrame(JSON.parse(buf.toString('utf8')));
  } catch {
    notice('malformed', 'rooms: ignored a frame that is not JSON');
    return undefined;
  }
}

/** One line for a socket error (no URL). */
function describeSocketError(err: Error): string {
  const unreachable = cannotReachServer(err, REFUSED_HINT);
  if (unreachable) return unreachable;
  if (/handshake has timed out/i.test(err.message)) return 'the socket handshake timed out';
  return sanitizeLine(err.message).slice(0, 160);
}
