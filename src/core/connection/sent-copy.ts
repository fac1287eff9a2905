import type { ConnectorSession } from '../connector.js';
import type { MessageEvent } from '../events.js';
import { sanitize } from '../sanitize.js';
import type { Copy } from './pending-sends.js';

/**
 * Finding the server's copy of a send whose answer never came (a 500 after the server stored it, a
 * connection dropped after the request went out, an echo that never arrived): before the outbox posts
 * it again, and before `send` says it failed, the room's newest messages are read and our copy looked
 * for, so a send is never doubled (mautrix bridgev2 matches its pending sends the same way). The match:
 * - a copy that carries the send's key: its `txnId` (an idempotency key the service stores and gives
 *   back) or its `id` (a service where the client picks the message id, e.g. talkee's `id`);
 * - else, as PendingSends matches echoes: the oldest message by our user in that room with the same
 *   (sanitised) text, stored at or after the send (less {@link SENT_CLOCK_SKEW_MS}), that is not
 *   already the copy of another send. Without our user id there is no text match.
 */

/** How far a server's clock may lag ours (ms) and its copy still count as stored after the send. */
export const SENT_CLOCK_SKEW_MS = 10_000;

/** How many of the room's newest messages are read when the session has `history` only. */
export const SENT_LOOKUP_LIMIT = 50;

/** What is looked for: one send. */
export interface SentQuery {
  room: string;
  text: string;
  txnId: string;
  /** When the send was made (ISO UTC): copies stored before it (less the skew) are someone's earlier message. */
  since: string;
  /** Our user id on the service; undefined = only a copy carrying the key matches. */
  me: string | undefined;
  /** Whether a message id is already the copy of another of our sends (it is not ours to take again). */
  taken?: (id: string) => boolean;
}

/** The copy of the send among `copies` (any order), or undefined. See the module comment. */
export function matchSentCopy<C extends Copy>(copies: readonly C[], q: SentQuery): C | undefined {
  const keyed = copies.find((m) => m.txnId === q.txnId || m.id === q.txnId);
  if (keyed) return keyed;
  if (q.me === undefined) return undefined;
  const want = sanitize(q.text).trim();
  const since = Date.parse(q.since) - SENT_CLOCK_SKEW_MS;
  let best: C | undefined;
  for (const m of copies) {
    if (m.author.id !== q.me || m.text.trim() !== want) continue; // (the read is of the room: its ids may be spelled otherwise)
    if (m.txnId !== undefined && m.txnId !== q.txnId) continue; // another send's copy
    const t = Date.parse(m.time);
    if (Number.isFinite(since) && Number.isFinite(t) && t < since) continue;
    if (q.taken?.(m.id)) continue;
    if (!best || Date.parse(best.time) > t) best = m;
  }
  return best;
}

/** A session as far as looking for a send goes. */
export type SentReader = Pick<ConnectorSession, 'history' | 'recentMessages'>;

/** Whether `session` can read what the server stored lately (then {@link findSentCopy} can answer). */
export function canFindSent(session: SentReader): boolean {
  return typeof session.recentMessages === 'function' || typeof session.history === 'function';
}

/**
 * Reads the room's newest messages (`recentMessages`, else `history` with {@link SENT_LOOKUP_LIMIT}) and
 * returns the copy of the send (with `txnId` set), or undefined when it is not there or the session
 * cannot read. Throws what the read throws (ChatError): the server could not be asked.
 */
export async function findSentCopy(session: SentReader, q: SentQuery): Promise<MessageEvent | undefined> {
  const read = session.recentMessages
    ? session.recentMessages(q.room)
    : session.history
      ? session.history(q.room, { limit: SENT_LOOKUP_LIMIT })
      : undefined;
  if (!read) return undefined;
  const found = matchSentCopy(await read, q);
  return found ? { ...found, txnId: q.txnId } : undefined;
}
