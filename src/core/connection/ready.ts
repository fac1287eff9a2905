import type { ChatError } from '../errors.js';

/**
 * A promise that settles once: `resolve()` or `reject(err)` the first time, later calls do nothing.
 * A rejection nobody awaits is never an unhandled rejection. `connect()` of a session awaits these.
 */
export class Ready {
  readonly promise: Promise<void>;
  private settleFn!: (err?: ChatError) => void;
  private done = false;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.settleFn = (err) => (err ? reject(err) : resolve());
    });
    this.promise.catch(() => {});
  }

  /** Settles as success (first call only). */
  resolve(): void {
    this.settle();
  }

  /** Settles as failure with `err` (first call only). */
  reject(err: ChatError): void {
    this.settle(err);
  }

  /** Whether it has settled. */
  get settled(): boolean {
    return this.done;
  }

  private settle(err?: ChatError): void {
    if (this.done) return;
    this.done = true;
    this.settleFn(err);
  }
}

/**
 * Resolves when the first of `readies` resolves; rejects with the first error (in the given order of
 * the links) once every one has rejected. `fallback` is thrown for an empty list.
 */
export function firstReady(readies: Promise<void>[], fallback: () => Error): Promise<void> {
  if (readies.length === 0) return Promise.reject(fallback());
  return Promise.any(readies).catch((err: unknown) => {
    throw err instanceof AggregateError ? (err.errors[0] ?? fallback()) : err;
  });
}
