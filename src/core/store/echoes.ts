import type { MessageEvent, UserRef } from '../events.js';
import type { StoredMessage } from '../state.js';
import type { RoomEntry, StoreCore } from './core.js';
import { fromServer, toStored } from './messages.js';
import { parseTs } from './order.js';
import { insert, removeAt, replaceMessage } from './timeline.js';

/**
 * Local echoes: our own sends, shown at once as `pending` messages `local:<txnId>`, then reconciled
 * with the server's copy (by txnId, by id, or — for a server echo that carries neither — by author
 * and text), failed with a reason (kept, retryable) or discarded. The one place echo matching lives:
 * connectors hand over what the server said, the store decides whether it is our send.
 */

/** The room and stored message (echo or server copy) of a send, when known. */
function findSend(s: StoreCore, txnId: string): { r: RoomEntry; m: StoredMessage } | undefined {
  const key = s.txnRoom.get(txnId);
  const r = key === undefined ? undefined : s.roomMap.get(key);
  const id = r?.txns.get(txnId);
  const m = id === undefined ? undefined : r?.byId.get(id);
  return r && m ? { r, m } : undefined;
}

/** See `SessionStore.addLocalEcho`. */
export function addLocalEcho(s: StoreCore, profile: string, room: string, txnId: string, text: string, author: UserRef, time: string | undefined): void {
  const known = findSend(s, txnId);
  if (known) {
    // A retry: the same message goes back to pending.
    if (known.m.status === 'sent') return;
    const next: StoredMessage = { ...known.m, status: 'pending', rev: known.m.rev + 1 };
    delete next.error;
    replaceMessage(s, known.r, known.m, next);
    s.touch(known.r, {});
    return;
  }
  const r = s.ensureRoom(profile, room);
  const now = s.now();
  // A new echo goes at the bottom and after the previous echo (sends in the same ms keep their order).
  const last = r.messages[r.messages.length - 1];
  // (A server clock ahead of ours by more than a minute, or a bogus far-future time, is not followed.)
  const afterLast = last ? Math.min(last.ts + 1, now + 60_000) : 0;
  const ts = time === undefined ? Math.max(now, afterLast, s.lastEchoTs + 1) : parseTs(time, now);
  if (time === undefined) s.lastEchoTs = ts;
  const msg: StoredMessage = {
    id: `local:${txnId}`,
    room,
    author: { id: author.id, name: author.name },
    text,
    ts,
    edited: false,
    deleted: false,
    status: 'pending',
    txnId,
    mention: false,
    kind: 'normal',
    rev: 0,
  };
  insert(s, r, msg);
  r.txns.set(txnId, msg.id);
  s.txnRoom.set(txnId, r.st.key);
  s.touch(r, {});
}

/** ISO time of the stored message of a send (its echo or the server copy), if known. */
export function echoTime(s: StoreCore, txnId: string): string | undefined {
  const known = findSend(s, txnId);
  return known === undefined ? undefined : new Date(known.m.ts).toISOString();
}

/** See `SessionStore.confirmSend`. */
export function confirmSend(s: StoreCore, profile: string, txnId: string, msg: MessageEvent): void {
  const r = s.ensureRoom(profile, msg.room);
  reconcile(s, r, txnId, msg);
  s.touch(r, {});
}

/** The echo of `txnId` becomes `failed` with `reason` (kept); a send already confirmed stays sent. */
export function failSend(s: StoreCore, txnId: string, reason: string): void {
  const known = findSend(s, txnId);
  if (!known || known.m.status === 'sent') return;
  replaceMessage(s, known.r, known.m, { ...known.m, status: 'failed', error: reason, rev: known.m.rev + 1 });
  s.touch(known.r, {});
}

/** Removes an unconfirmed echo; returns whether there was one. */
export function removeLocalEcho(s: StoreCore, txnId: string): boolean {
  const known = findSend(s, txnId);
  if (!known || known.m.status === 'sent') return false;
  removeAt(s, known.r, known.m);
  known.r.txns.delete(txnId);
  s.txnRoom.delete(txnId);
  s.touch(known.r, {});
  return true;
}

/** Replaces the echo of `txnId` by the server's copy, or merges into an already stored copy: never two copies. */
export function reconcile(s: StoreCore, r: RoomEntry, txnId: string, ev: MessageEvent): void {
  const p = s.profileMap.get(r.st.profile);
  const curId = r.txns.get(txnId);
  const cur = curId === undefined ? undefined : r.byId.get(curId);
  const isEcho = cur !== undefined && cur.id.startsWith('local:');
  const existing = r.byId.get(ev.id);
  if (existing) {
    if (isEcho && cur !== existing) removeAt(s, r, cur);
    let next = fromServer(existing, ev, p);
    if (next.txnId === undefined) next = { ...next, txnId, rev: next === existing ? existing.rev + 1 : next.rev };
    if (next !== existing) replaceMessage(s, r, existing, next);
  } else if (isEcho) {
    const next = toStored(s, ev, p);
    next.txnId = txnId;
    next.rev = cur.rev + 1;
    replaceMessage(s, r, cur, next);
  } else {
    const next = toStored(s, ev, p);
    next.txnId = txnId;
    insert(s, r, next);
  }
  r.txns.set(txnId, ev.id);
  s.txnRoom.set(txnId, r.st.key);
}
