import { canFindSent, findSentCopy } from '../connection/sent-copy.js';
import type { ConnectorSession } from '../connector.js';
import type { MessageEvent } from '../events.js';
import { roomKey, type StoredMessage } from '../state.js';
import type { OutboxEntry } from './outbox.js';
import { meOf, safe, type ProfileRun, type RuntimeContext } from './context.js';

/**
 * Before the outbox posts a send again whose earlier try may have reached the server (it failed
 * after the request went out: a 5xx, a dropped connection, no answer or echo in time — or the user
 * retries a failed send), it looks for the server's copy, so a send is never doubled:
 * 1. the live echo: the store already shows the send confirmed (the copy came in on the socket);
 * 2. what the server has: the room's newest messages, matched by the kit (src/core/connection/sent-copy.ts).
 * Only when neither has it is the send posted again.
 */

/** What looking found: the copy (post nothing), `echoed` (the store shows it confirmed), or undefined (post it). */
export type Looked = { copy: MessageEvent } | { echoed: true } | undefined;

/** The stored messages of the entry's room (the placeholder of a room given by name resolved). */
function roomMessages(c: RuntimeContext, entry: OutboxEntry): readonly StoredMessage[] {
  const key = roomKey(entry.profile, entry.room);
  return c.store.getState().rooms[c.aliases.get(key) ?? key]?.messages ?? [];
}

/** Whether the entry's earlier try may be on the server: it failed after going out, or it is retried by hand. */
export function mayBeStored(entry: OutboxEntry): boolean {
  return entry.attempts > 0 || entry.unsure === true;
}

/**
 * Looks for the copy of `entry` (see the module comment) through `session`. Throws what the server
 * read throws (ChatError): the caller waits and tries again rather than post blindly.
 */
export async function lookBeforeResend(c: RuntimeContext, run: ProfileRun, session: ConnectorSession, entry: OutboxEntry): Promise<Looked> {
  const messages = roomMessages(c, entry);
  if (messages.some((m) => m.txnId === entry.txnId && m.status === 'sent')) return { echoed: true };
  if (!canFindSent(session)) return undefined;
  const others = new Set<string>();
  for (const m of messages) if (m.txnId !== undefined && m.txnId !== entry.txnId && m.status === 'sent') others.add(m.id);
  const me = meOf(c, run).id || safe(() => session.me?.())?.id;
  const copy = await findSentCopy(session, { room: entry.room, text: entry.text, txnId: entry.txnId, since: entry.time, me: me || undefined, taken: (id) => others.has(id) });
  return copy ? { copy } : undefined;
}
