import { ChatError } from '../errors.js';
import { sanitize } from '../sanitize.js';
import type { MessageEvent } from '../events.js';

/**
 * Pending sends and echo matching, in one place for every connector (as mautrix bridgev2's pending
 * messages): a send resolves with the server's copy carrying our `txnId`, and every copy of it (the
 * live echo — also one that arrives before the server's answer —, a catch-up) carries the `txnId`
 * too, so the store replaces its local echo by txnId and never shows two.
 * - `send(room, text, txnId, post, opts)`: the one way a connector sends. `post` puts the message on
 *   the wire and returns the server's copy when the service answers with one (REST), or undefined when
 *   the only confirmation is the echo on the socket (then the echo is waited for, `opts.timeoutMs`).
 * - Every incoming message passes through `match()`: by id (a copy the server answered with), or the
 *   oldest pending send of the same room and text by our user (texts compared sanitised).
 */

/** A message as a connector emits it (no profile). */
export type Copy = Omit<MessageEvent, 'profile'>;

/** Options of {@link PendingSends.send}. */
export interface SendOptions {
  /** The service answers a send with its copy (REST): no text match is tried while our user id is unknown. */
  answers?: boolean;
  /** How long to wait for the echo when `post` returns no copy (default 10 s). */
  timeoutMs?: number;
  /** The error when no echo came in time. */
  timeout?: () => ChatError;
}

interface Waiting {
  room: string;
  text: string;
  txnId: string;
  resolve(copy: Copy): void;
  reject(err: ChatError): void;
  timer: NodeJS.Timeout;
}

/** The pending sends of one session. */
export class PendingSends {
  /** Server message id → txnId of our send (the newest `limit`). */
  private readonly byId = new Map<string, string>();
  private readonly waiting: Waiting[] = [];

  /** `me()` is our user id when known (echoes by another user never match); `limit` bounds the id map. */
  constructor(
    private readonly me: () => string | undefined = () => undefined,
    private readonly limit = 1000,
  ) {}

  /** Whether any send waits for its echo. */
  get awaiting(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * Sends our message `text` to `room` as `txnId`: `post()` puts it on the wire and returns the
   * server's copy (REST answer) or undefined (no ack: the echo confirms). Resolves with the copy with
   * `txnId`; rejects with what `post` threw (unless the copy came in meanwhile: then it resolves with
   * it, since the server has the message), with `opts.timeout()`'s error when no echo came within
   * `opts.timeoutMs` (default 10 s), or with the error of `failAll`. A live copy that arrives while
   * `post` is still running confirms the send as well.
   */
  async send(room: string, text: string, txnId: string, post: () => Promise<Copy | undefined>, opts: SendOptions = {}): Promise<Copy> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    // Without our user id, a text match could take someone else's message for ours: only an echo-confirmed service needs that risk.
    if (opts.answers && this.me() === undefined) {
      const answer = await post();
      if (answer === undefined) throw new ChatError('protocol', 'the server did not answer the send with the message', { retryable: false });
      return this.confirmed(answer, txnId);
    }
    const wait = this.awaitEcho(room, text, txnId, timeoutMs, opts.timeout ?? (() => new ChatError('protocol', `no echo of the message from the server within ${Math.round(timeoutMs / 1000)} s`, { retryable: false })));
    wait.promise.catch(() => {});
    let answer: Copy | undefined;
    try {
      answer = await post();
    } catch (err) {
      // The send "failed" (no answer, a drop) but its copy came in: the server has it.
      const echoed = wait.matched();
      if (echoed) return echoed;
      wait.cancel(err instanceof ChatError ? err : new ChatError('network', 'the send failed'));
      throw err;
    }
    if (answer === undefined) return wait.promise;
    wait.cancel(new ChatError('network', 'answered'));
    return this.confirmed(answer, txnId);
  }

  /** The server answered our send `txnId` with `copy`: returns the copy with `txnId`, and later copies of that id get it too. */
  confirmed<C extends Copy>(copy: C, txnId: string): C & { txnId: string } {
    this.byId.set(copy.id, txnId);
    if (this.byId.size > this.limit) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.byId.delete(oldest);
    }
    return { ...copy, txnId };
  }

  /**
   * Waits for the server's echo of a send of `text` to `room` (call before sending; `send` does). Resolves
   * with the echo (with `txnId`); rejects with `timeout()`'s error after `timeoutMs`, or with `cancel(err)`'s.
   */
  awaitEcho(room: string, text: string, txnId: string, timeoutMs: number, timeout: () => ChatError): { promise: Promise<Copy>; cancel(err: ChatError): void; matched(): Copy | undefined } {
    let entry!: Waiting;
    let echo: Copy | undefined;
    const promise = new Promise<Copy>((resolve, reject) => {
      entry = {
        room,
        text: sanitize(text), // compared with the copy's text, which is sanitised
        txnId,
        resolve: (copy) => {
          echo = copy;
          resolve(copy);
        },
        reject,
        timer: setTimeout(() => {
          if (this.remove(entry)) reject(timeout());
        }, timeoutMs),
      };
    });
    this.waiting.push(entry);
    return {
      promise,
      cancel: (err) => {
        if (this.remove(entry)) entry.reject(err);
      },
      matched: () => echo,
    };
  }

  /**
   * An incoming message (live or caught up): returns it with `txnId` when it is the copy of one of our
   * sends (by id, or the oldest waiting send of the same room and text, which is then resolved), else
   * the message itself.
   */
  match<C extends Copy>(copy: C): C {
    if (this.byId.size !== 0) {
      const txnId = this.byId.get(copy.id);
      if (txnId !== undefined) return copy.txnId === txnId ? copy : { ...copy, txnId };
    }
    if (this.waiting.length === 0) return copy;
    const me = this.me();
    if (me !== undefined && copy.author.id !== me) return copy;
    const w = this.waiting.find((x) => x.room === copy.room && x.text === copy.text);
    if (!w) return copy;
    this.remove(w);
    const mine = this.confirmed(copy, w.txnId);
    w.resolve(mine);
    return mine;
  }

  /** Every waiting send fails with `err` (the session closed or failed). */
  failAll(err: ChatError): void {
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private remove(w: Waiting): boolean {
    const i = this.waiting.indexOf(w);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    clearTimeout(w.timer);
    return true;
  }
}
