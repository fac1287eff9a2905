import type { MessageDeleteEvent, MessageEditEvent, MessageEvent } from '../events.js';
import { roomKey } from '../state.js';
import type { RoomState, StoredMessage } from '../state.js';
import type { StoreCore } from './core.js';
import { reconcile } from './echoes.js';
import { isMention } from './mentions.js';
import { fromServer, toStored } from './messages.js';
import { compareMessages, mergeInto } from './order.js';
import { indexOf, insert, replaceMessage, trim } from './timeline.js';
import { dropTyping, dropTypingOn } from './typing.js';
import { applyReadMarker, countArrival } from './unread.js';

/**
 * What the services send into the timeline: live messages (new, or a second copy of a known id,
 * or our own send coming back), edits, deletes, gap markers and history pages. Unique by id: a
 * second copy updates the stored one in place and is not new.
 */

/** A live message. Returns whether it was new (not an id already stored). */
export function applyMessage(s: StoreCore, ev: MessageEvent): boolean {
  const r = s.ensureRoom(ev.profile, ev.room);
  const p = r.p;
  const known = r.byId.get(ev.id);
  if (known) {
    const next = fromServer(known, ev, p);
    if (next !== known) replaceMessage(s, r, known, next);
    if (ev.txnId !== undefined) reconcile(s, r, ev.txnId, ev);
    s.touch(r, {});
    return false;
  }
  // Our own send coming back before (or instead of) the send's reply: the connection kit's PendingSends
  // (src/core/connection/pending-sends.ts) gives every copy of our send its txnId; the store only renders
  // local echoes by txnId (a copy without one is merged by id when the send's reply comes).
  const txnId = ev.txnId !== undefined && r.txns.has(ev.txnId) ? ev.txnId : undefined;
  if (txnId !== undefined) {
    reconcile(s, r, txnId, ev);
    dropTyping(s, r, ev.author.id);
    s.touch(r, {});
    return true;
  }
  const m = toStored(s, ev, p);
  const idx = insert(s, r, m);
  // The hot path of a flood: the room's counters are updated on its own RoomState (see `own`), no patch object.
  const st = s.own(r);
  const me = p.st.me;
  countArrival(s, st, m, idx, me !== undefined && ev.author.id === me.id);
  dropTypingOn(st, ev.author.id);
  s.changed();
  trim(s, r);
  return true;
}

/** An edit of a stored message (unknown or deleted ids are ignored). Returns whether it changed anything. */
export function applyEdit(s: StoreCore, ev: MessageEditEvent): boolean {
  const r = s.roomMap.get(roomKey(ev.profile, ev.room));
  const m = r?.byId.get(ev.id);
  if (!r || !m || m.deleted) return false;
  if (m.text === ev.text && m.edited) return false;
  const p = s.profileMap.get(ev.profile);
  replaceMessage(s, r, m, { ...m, text: ev.text, edited: true, mention: m.kind === 'normal' && isMention(p, m.author, ev.text, undefined), rev: m.rev + 1 });
  s.touch(r, {});
  return true;
}

/** A delete: the message stays in place, empty and marked deleted. Returns whether it changed anything. */
export function applyDelete(s: StoreCore, ev: MessageDeleteEvent): boolean {
  const r = s.roomMap.get(roomKey(ev.profile, ev.room));
  const m = r?.byId.get(ev.id);
  if (!r || !m || m.deleted) return false;
  replaceMessage(s, r, m, { ...m, text: '', deleted: true, mention: false, rev: m.rev + 1 });
  s.touch(r, {});
  return true;
}

/** A "messages may be missing here" marker at the bottom of a room (the service could not fill a gap). */
export function applyGap(s: StoreCore, profile: string, room: string): void {
  const r = s.ensureRoom(profile, room);
  const last = r.messages[r.messages.length - 1];
  const ts = Math.max(s.now(), last ? last.ts + 1 : 0);
  const gap: StoredMessage = {
    id: `gap:${++s.gapSeq}`,
    room,
    author: { id: '', name: '' },
    text: 'messages may be missing here',
    ts,
    edited: false,
    deleted: false,
    status: 'sent',
    mention: false,
    kind: 'gap',
    rev: 0,
  };
  insert(s, r, gap);
  trim(s, r);
  s.touch(r, {});
}

/** See `SessionStore.prependHistory`. */
export function prependHistory(s: StoreCore, profile: string, room: string, msgs: MessageEvent[], hasMore: boolean): void {
  const r = s.ensureRoom(profile, room);
  const p = s.profileMap.get(profile);
  const fresh: StoredMessage[] = [];
  const seen = new Set<string>();
  for (const ev of msgs) {
    if (seen.has(ev.id)) continue;
    seen.add(ev.id);
    const known = r.byId.get(ev.id);
    if (known) {
      const next = fromServer(known, ev, p);
      if (next !== known) replaceMessage(s, r, known, next);
      continue;
    }
    if (ev.txnId !== undefined && r.txns.has(ev.txnId)) {
      reconcile(s, r, ev.txnId, ev);
      continue;
    }
    fresh.push(toStored(s, ev, p));
  }
  r.historyKnown = true;
  const patch: Partial<RoomState> = { hasMoreHistory: hasMore };
  if (fresh.length) {
    fresh.sort(compareMessages);
    const fuMsg = r.st.firstUnread >= 0 ? r.messages[r.st.firstUnread] : undefined;
    mergeInto(r.messages, fresh);
    for (const m of fresh) r.byId.set(m.id, m);
    if (fuMsg) patch.firstUnread = indexOf(r, fuMsg);
  }
  s.touch(r, patch);
  if (fresh.length && s.readMarkers.size) applyReadMarker(s, r);
}
