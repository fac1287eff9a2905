/**
 * Replies of the Python server's Socket.IO events (facts §B4): the server answers with a separate
 * event (`get_rooms` → `rooms`, `join_room` → `room_joined` or `error`, `get_messages` → `messages`),
 * never with a Socket.IO ack, and its `error` event names no request. So requests that can fail are
 * made one at a time (`serial`), and the first event that matches the waiting request answers it.
 */
export class Replies {
  private waiting: { events: readonly string[]; match(event: string, data: unknown): boolean; done(event: string, data: unknown): void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * Waits for one of `events` (for which `match` holds) after `send()`; resolves with `[event, data]`,
   * or with undefined after `timeoutMs` (the server said nothing) or when `cancel` fires.
   */
  wait(events: readonly string[], send: () => void, timeoutMs: number, match: (event: string, data: unknown) => boolean = () => true, signal?: AbortSignal): Promise<[string, unknown] | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const entry = {
        events,
        match,
        done: (event: string, data: unknown) => {
          clearTimeout(timer);
          this.waiting = this.waiting.filter((w) => w !== entry);
          resolve(event === '' ? undefined : [event, data]);
        },
      };
      this.waiting.push(entry);
      timer = setTimeout(() => entry.done('', undefined), timeoutMs);
      signal?.addEventListener('abort', () => entry.done('', undefined), { once: true });
      send();
    });
  }

  /** Runs `fn` after every request queued before it (one request of this kind on the wire at a time). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** An incoming event: answers the oldest waiting request it matches; returns whether it did. */
  offer(event: string, data: unknown): boolean {
    const w = this.waiting.find((x) => x.events.includes(event) && x.match(event, data));
    if (!w) return false;
    w.done(event, data);
    return true;
  }

  /** Every waiting request ends without an answer (the connection ended). */
  clear(): void {
    for (const w of [...this.waiting]) w.done('', undefined);
  }
}
