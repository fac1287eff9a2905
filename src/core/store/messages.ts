import type { MessageEvent, UserRef } from '../events.js';
import type { StoredMessage } from '../state.js';
import { isoToMs } from '../time.js';
import type { ProfileEntry, StoreCore } from './core.js';
import { isMention } from './mentions.js';
import { parseTs } from './order.js';

/**
 * Stored messages made from a service's message events: a new one, or a known one updated by a
 * second copy. A `StoredMessage` is never mutated once stored: a change is a new object, `rev + 1`.
 */

/** Authors kept for sharing per profile; beyond this the table starts over (messages keep their objects). */
const AUTHOR_CACHE_LIMIT = 50_000;

/** A new stored message for `ev` (time = ours when the event's is missing or invalid). */
export function toStored(s: StoreCore, ev: MessageEvent, p: ProfileEntry | undefined): StoredMessage {
  const parsed = typeof ev.time === 'string' ? isoToMs(ev.time) : NaN;
  const ts = Number.isFinite(parsed) ? parsed : s.now();
  const kind = ev.kind === 'system' ? 'system' : 'normal';
  const m: StoredMessage = {
    id: ev.id,
    room: ev.room,
    author: sharedAuthor(p, ev.author),
    text: ev.text,
    ts,
    edited: ev.edited === true,
    deleted: false,
    status: 'sent',
    mention: kind === 'normal' && isMention(p, ev.author, ev.text, ev.mentions),
    kind,
    rev: 0,
  };
  if (ev.txnId !== undefined) m.txnId = ev.txnId;
  if (ev.archived) m.archived = true;
  return m;
}

/** `known` updated with the server copy `ev` (text, author, time; status `sent`), or `known` itself when nothing differs. */
export function fromServer(known: StoredMessage, ev: MessageEvent, p: ProfileEntry | undefined): StoredMessage {
  // The archive's copy never replaces what is already held (the server's, or the archive's own).
  if (ev.archived) return known;
  const ts = parseTs(ev.time, known.ts);
  const deleted = known.deleted;
  const text = deleted ? '' : ev.text;
  const edited = known.edited || ev.edited === true;
  if (
    known.text === text &&
    known.ts === ts &&
    known.edited === edited &&
    known.author.id === ev.author.id &&
    known.author.name === ev.author.name &&
    known.status === 'sent' &&
    known.archived !== true
  )
    return known;
  const kind = known.kind === 'gap' ? 'gap' : ev.kind === 'system' ? 'system' : 'normal';
  const next: StoredMessage = {
    ...known,
    author: sharedAuthor(p, ev.author),
    text,
    ts,
    edited,
    status: 'sent',
    kind,
    mention: !deleted && kind === 'normal' && isMention(p, ev.author, text, ev.mentions),
    rev: known.rev + 1,
  };
  delete next.error;
  delete next.archived;
  return next;
}

/** A shared `{id, name}` for `u` (a copy: the event's object is not kept). */
function sharedAuthor(p: ProfileEntry | undefined, u: UserRef): UserRef {
  if (!p) return { id: u.id, name: u.name };
  const known = p.authors.get(u.id);
  if (known !== undefined && known.name === u.name) return known;
  if (p.authors.size >= AUTHOR_CACHE_LIMIT) p.authors.clear();
  const fresh: UserRef = { id: u.id, name: u.name };
  p.authors.set(u.id, fresh);
  return fresh;
}
