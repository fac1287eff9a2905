import type { UserRef } from '../events.js';

/**
 * The outbox: our sends the server has not confirmed yet, and the ones that failed (kept, retryable).
 * The runtime drives it through {@link OutboxStore}; where entries are kept (a JSON file today, see
 * json-outbox.ts) is the implementation's business.
 *
 * Entry states:
 * - `queued`: waiting to go out (offline, or behind another send, or waiting out a rate limit);
 * - `sending`: claimed for the connector, no answer yet;
 * - `failed`: refused or never confirmed; kept until retried or discarded.
 * On load, `sending` becomes `failed` ({@link UNCONFIRMED_REASON}): the server may or may not have
 * it, so the user decides (retry) instead of the client risking a double post.
 */

/** Where an outbox entry is in its life. */
export type OutboxStatus = 'queued' | 'sending' | 'failed';

/** One unconfirmed send. `time` is ISO UTC of when the user sent it. */
export interface OutboxEntry {
  txnId: string;
  profile: string;
  room: string;
  text: string;
  time: string;
  status: OutboxStatus;
  /** Why it failed (one line, no secret). */
  error?: string;
  /** Failed delivery attempts (network/protocol) of the current try; rate-limit waits are counted apart. */
  attempts: number;
  rateLimited: number;
  /** Our user as shown on the echo. */
  author?: UserRef;
  /**
   * A failed try of it may have reached the server (the user retries it): the pump looks for the
   * server's copy before posting it again (resend.ts). Kept in memory; `attempts > 0` says the same on disk.
   */
  unsure?: boolean;
}

/** Reason given to a send that was in flight when the previous run ended. */
export const UNCONFIRMED_REASON = 'not confirmed before the client exited; retry to send it again';

/**
 * What the runtime needs of an outbox. Entries are kept in send order (insertion order; `moveToEnd`
 * puts a retried one last). Methods never throw: a storage problem is the implementation's to report
 * (a warning line) while the entries keep working in memory.
 *
 * The runtime's verbs map onto it: queue = `add`, claim = `claim`, complete = `remove` after the
 * server confirmed, fail = `update(txnId, { status: 'failed', error })`, requeue = `update` to
 * `queued` (+ `moveToEnd` for a retry), discard = `remove`.
 */
export interface OutboxStore {
  /** Reads the persisted entries (replacing what is in memory) and returns them; `sending` ones come back `failed`. */
  load(): OutboxEntry[];
  /** Every entry, in send order (a copy). */
  entries(): OutboxEntry[];
  /** The entry of a transaction id. */
  get(txnId: string): OutboxEntry | undefined;
  /** The first entry of a profile still to go out (`queued` or `sending`), in send order. */
  head(profile: string): OutboxEntry | undefined;
  /** Appends a new send (last in send order). `false`: it could not be stored (the implementation warned). */
  add(entry: OutboxEntry): boolean;
  /** Marks an entry `sending` before it is handed to the connector; `false` = do not send it (not ours, or gone). */
  claim(txnId: string): boolean;
  /** Changes an entry; a status other than `failed` without an `error` clears the error. Returns it, or undefined. */
  update(txnId: string, patch: Partial<Omit<OutboxEntry, 'txnId'>>): OutboxEntry | undefined;
  /** Moves an entry to the end of the send order. */
  moveToEnd(txnId: string): void;
  /** Removes an entry (confirmed or discarded); returns whether it existed. */
  remove(txnId: string): boolean;
  /** Writes the current state out (at stop: entries still `sending` stay so, and come back failed on the next load). */
  save(): void;
  /** At stop, after `save`: gives the entries up (an outbox shared by processes lets another take them over). Optional. */
  release?(): void;
}

/**
 * Validates one persisted entry (a JSON outbox file's, the JSON outbox of older versions imported into
 * the archive); `sending` → `failed` ({@link UNCONFIRMED_REASON}). Returns the entry, or undefined for
 * anything malformed (the caller reports it).
 */
export function parseOutboxEntry(e: unknown): OutboxEntry | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as Record<string, unknown>;
  const str = (v: unknown): v is string => typeof v === 'string';
  if (!str(o.txnId) || !str(o.profile) || !str(o.room) || !str(o.text)) return undefined;
  if (o.txnId.length === 0 || o.profile.length === 0 || o.room.length === 0) return undefined;
  const status: OutboxStatus = o.status === 'queued' ? 'queued' : 'failed';
  const entry: OutboxEntry = {
    txnId: o.txnId,
    profile: o.profile,
    room: o.room,
    text: o.text,
    time: str(o.time) && Number.isFinite(Date.parse(o.time)) ? o.time : new Date().toISOString(),
    status,
    // Kept: a queued entry with failed tries may be on the server, and is looked for before it is posted again.
    attempts: status === 'queued' && typeof o.attempts === 'number' && Number.isInteger(o.attempts) && o.attempts > 0 ? Math.min(o.attempts, 1000) : 0,
    rateLimited: 0,
  };
  if (status === 'failed') entry.error = o.status === 'sending' ? UNCONFIRMED_REASON : str(o.error) && o.error ? o.error : 'not sent';
  const a = o.author as Record<string, unknown> | undefined;
  if (a && typeof a === 'object' && str(a.id) && str(a.name)) entry.author = { id: a.id, name: a.name };
  return entry;
}

/** The in-memory list every outbox keeps its entries in (send order), with the read side of {@link OutboxStore}. */
export abstract class OutboxList {
  protected list: OutboxEntry[] = [];

  /** Every entry, in send order (a copy). */
  entries(): OutboxEntry[] {
    return this.list.slice();
  }

  /** The entry of a transaction id. */
  get(txnId: string): OutboxEntry | undefined {
    return this.list.find((e) => e.txnId === txnId);
  }

  /** The first entry of a profile still to go out (`queued` or `sending`), in send order. */
  head(profile: string): OutboxEntry | undefined {
    return this.list.find((e) => e.profile === profile && (e.status === 'queued' || e.status === 'sending'));
  }
}
