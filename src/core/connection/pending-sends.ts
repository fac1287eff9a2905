import type { ChatError } from '../errors.js';
import type { MessageEvent } from '../events.js';

/**
 * Pending sends and echo matching, in one place for every connector (as mautrix bridgev2's pending
 * messages): a send resolves with the server's copy carrying our `txnId`, and every later copy of it
 * (the live echo, a catch-up) carries the `txnId` too, so the store replaces its local echo by txnId
 * and never shows two.
 * - A service that answers a send with its copy (REST): `confirmed(copy, txnId)`.
 * - A service whose only confirmation is the echo on the socket: `awaitEcho(…)` before sending; the
 *   oldest pending send of the same room and text (and our user, when known) is the one confirmed.
 * Every incoming message passes through `match()`.
 */

/** A message as a connector emits it (no profile). */
export type Copy = Omit<MessageEvent, 'profile'>;

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
   * Waits for the server's echo of a send of `text` to `room` (call before sending). Resolves with the
   * echo (with `txnId`); rejects with `timeout()`'s error after `timeoutMs`, or with `cancel(err)`'s.
   */
  awaitEcho(room: string, text: string, txnId: string, timeoutMs: number, timeout: () => ChatError): { promise: Promise<Copy>; cancel(err: ChatError): void } {
    let entry!: Waiting;
    const promise = new Promise<Copy>((resolve, reject) => {
      entry = {
        room,
        text,
        txnId,
        resolve,
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
