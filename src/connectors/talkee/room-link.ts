import type { IncomingMessage } from 'node:http';
import { CatchUp, ReconnectingLink, frameBuffer, openWebSocket, type LinkAttempt, type LinkConnection, type LinkEnd, type LinkOptions } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { MessageEvent } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { cannotReachServer } from '../http.js';
import { errorFromBody, errorFromStatus } from './http.js';
import type { TalkeeSession } from './session.js';
import { socketUrl } from './urls.js';
import { MAX_FRAME_BYTES, asErrorBody, authFrame } from './wire.js';

/**
 * One talkee slug: its socket (facts §5, §11: one WebSocket per (site_id, slug)) on the kit's
 * `ReconnectingLink`, its messages through the kit's `CatchUp` (exactly once; no history to read, so
 * every reconnect is a gap, facts §6). What stays here is the wire: the one auth frame right after the
 * socket opens and nothing else ever (facts §5: any other text frame closes the socket with 1005), a
 * refused upgrade answered with HTTP 200 `{code,msg}` (facts §5), and "two quick 1005 closes after the
 * auth frame" as the server's only way to refuse a token.
 */

/** A message as talkee emits it. */
type Msg = Omit<MessageEvent, 'profile'>;

/** Frames larger than this close the socket inside `ws` (memory bound); 1 MiB < size ≤ this are dropped with a notice. */
export const WS_MAX_PAYLOAD = 8 * MAX_FRAME_BYTES;
/** How many message ids per room are remembered for dedupe. */
const SEEN_LIMIT = 10_000;
/** Consecutive quick 1005 closes after auth that mean "token refused". */
const AUTH_REFUSALS = 2;

/** A slug's socket, reconnect loop and message stream. */
export class SlugLink {
  readonly link: ReconnectingLink;
  readonly stream: CatchUp<Msg>;
  private ws: ReturnType<typeof openWebSocket> | undefined;
  private quickAuthCloses = 0;

  constructor(
    private readonly s: TalkeeSession,
    readonly slug: string,
  ) {
    this.stream = new CatchUp<Msg>({
      deliver: (m) => s.emit(s.pending.match(m)),
      gap: () => s.emit({ type: 'gap', room: slug }),
      failed: () => {},
      seenLimit: SEEN_LIMIT,
    });
    const idleMs = s.opts.idleTimeoutMs ?? 90_000;
    const opts: LinkOptions = {
      emit: (ev) => s.emit(ev),
      room: slug,
      open: (a) => this.open(a),
      // The server pings every 54 s (facts §5, melody default): a socket with no frame and no ping for this long is dead.
      liveness: { idleMs, reason: `no frames or pings for ${Math.round(idleMs / 1000)} s` },
      onUp: (again) => {
        // The service cannot backfill a room (facts §6): messages sent while we were away are a gap.
        if (again) void this.stream.catchUp(undefined, s.abort.signal);
        else s.emit({ type: 'notice', room: slug, text: 'talkee keeps no history for a room: messages appear from now on' });
      },
      onDown: () => this.stream.drop(),
      onFailed: () => s.linkFailed(),
    };
    const backoff = s.opts.backoff?.();
    if (backoff) opts.backoff = backoff;
    this.link = new ReconnectingLink(opts);
  }

  /** Resolves once the socket is closed (at most 1 s after `stop()`: then it is dropped). */
  closed(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Opens one socket for an attempt of the link. */
  private open(a: LinkAttempt): LinkConnection {
    const s = this.s;
    const what = `room "${sanitizeLine(this.slug).slice(0, 80)}" (site_id ${s.siteId})`;
    let ws: ReturnType<typeof openWebSocket>;
    try {
      ws = openWebSocket(socketUrl(s.baseUrl, s.siteId, this.slug), {
        handshakeTimeout: s.opts.handshakeTimeoutMs ?? 15_000,
        maxPayload: WS_MAX_PAYLOAD,
        skipUTF8Validation: true, // a text frame with invalid UTF-8 is read leniently (U+FFFD), not a reason to drop the socket
      });
    } catch (err) {
      throw new ChatError('protocol', `${what}: bad socket URL: ${toChatError(err).message}`, { retryable: false });
    }
    this.ws = ws;
    let opened = false;
    let refusal: ChatError | undefined;
    let lastError: Error | undefined;
    let authSentAt: number | undefined;
    let gotFrame = false;
    let tooBig = false;

    // A bad site id or slug is answered with HTTP 200 {code,msg} instead of 101 (facts §5): read the text.
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => {
        clearTimeout(timer);
        if (refusal) return;
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        const body = asErrorBody(json);
        refusal = body ? errorFromBody(body, what) : errorFromStatus(res.statusCode ?? 0, `${what}: the server did not open a socket`);
        ws.terminate();
      };
      const timer = setTimeout(finish, 5000);
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 64 * 1024) chunks.push(chunk);
      });
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    ws.on('open', () => {
      opened = true;
      a.watch();
      const token = s.token;
      if (token !== undefined && !s.authRefused) {
        ws.send(authFrame(token).text); // the one frame we ever send (facts §5)
        authSentAt = Date.now();
      }
      a.up();
    });
    ws.on('ping', () => a.alive());
    ws.on('message', (data, isBinary) => {
      a.alive();
      gotFrame = true;
      s.onFrame(this, frameBuffer(data), isBinary);
    });
    ws.on('error', (err: Error) => {
      lastError = err;
      if (/max payload/i.test(err.message)) tooBig = true;
    });
    ws.on('close', (code: number, reasonBuf: Buffer) => {
      if (this.ws === ws) this.ws = undefined;
      if (refusal) return a.end({ error: refusal });
      if (!opened) {
        const e = lastError ? describeSocketError(lastError) : 'the connection closed before the socket opened';
        return a.end({ error: new ChatError('network', `${what}: ${e}`) });
      }
      // Quick 1005 closes right after the auth frame: the server's only way to say "bad token" (facts §5).
      if (code === 1005 && authSentAt !== undefined && !gotFrame && Date.now() - authSentAt <= (s.opts.authRefusalWindowMs ?? 3000)) {
        if (++this.quickAuthCloses >= AUTH_REFUSALS) s.markAuthRefused();
      } else {
        this.quickAuthCloses = 0;
      }
      const end: LinkEnd = { code, reason: reasonBuf.toString('utf8') };
      if (tooBig) {
        s.notices.notice('huge', `dropped a frame over ${WS_MAX_PAYLOAD / MAX_FRAME_BYTES} MiB; reconnecting`, this.slug);
        end.said = `a frame over ${WS_MAX_PAYLOAD / MAX_FRAME_BYTES} MiB`;
      }
      a.end(end);
    });
    return {
      close: () => (ws.readyState === ws.CONNECTING ? ws.terminate() : ws.close(1000)), // a close frame is a control frame, not a text frame
      terminate: () => ws.terminate(),
    };
  }
}

/** One line for a socket error (no URL: it names the site but keep lines short). */
function describeSocketError(err: Error): string {
  const unreachable = cannotReachServer(err);
  if (unreachable) return unreachable;
  if (/handshake has timed out/i.test(err.message)) return 'the socket handshake timed out';
  return sanitizeLine(err.message).slice(0, 160);
}
