
/**
 * An outbox entry (a send the server has not confirmed, or one that failed and is kept) and its row in
 * the `outbox` table. States: `queued` (waiting to go out), `sending` (claimed and handed to the
 * connector), `failed` (refused or never confirmed; kept until retried or discarded). `time` is ISO UTC
 * of when the user sent it.
 */

export type { OutboxEntry, OutboxStatus } from '../runtime/outbox.js';
import type { OutboxEntry, OutboxStatus } from '../runtime/outbox.js';
/** Reason given to a send that was handed to the server by a process that ended before it was confirmed. */
export { UNCONFIRMED_REASON as UNCONFIRMED } from '../runtime/outbox.js';

/** Row shape of `outbox`. */
export interface OutboxRow {
  txn_id: string;
  profile: string;
  room: string;
  text: string;
  time: string;
  status: string;
  error: string | null;
  attempts: number;
  rate_limited: number;
  author_id: string | null;
  author_name: string | null;
}

/** A row as an entry. */
export function entryOf(r: OutboxRow): OutboxEntry {
  const e: OutboxEntry = {
    txnId: r.txn_id,
    profile: r.profile,
    room: r.room,
    text: r.text,
    time: r.time,
    status: r.status === 'queued' || r.status === 'sending' ? r.status : 'failed',
    attempts: Number(r.attempts),
    rateLimited: Number(r.rate_limited),
  };
  if (r.error !== null) e.error = r.error;
  if (r.author_id !== null && r.author_name !== null) e.author = { id: r.author_id, name: r.author_name };
  return e;
}
