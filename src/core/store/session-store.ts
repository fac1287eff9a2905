import type { Capabilities, RoomInfo } from '../connector.js';
import type { ChatEvent, MessageEvent, UserRef } from '../events.js';
import { applyConnection } from './connection.js';
import { StoreCore } from './core.js';
import type { SessionStoreOptions, StoreSnapshot } from './core.js';
import { addLocalEcho, confirmSend, echoTime, failSend, removeLocalEcho } from './echoes.js';
import { applyDelete, applyEdit, applyGap, applyMessage, prependHistory } from './ingest.js';
import { setMe } from './mentions.js';
import { addNotice } from './notices.js';
import { addProfile, addRoom, removeRoom, setLoadingHistory, setOnline } from './rooms.js';
import { clearRoom } from './timeline.js';
import { applyTyping, expireTyping, stopTypingSweep } from './typing.js';
import { restoreReadMarkers, setActiveRoom } from './unread.js';
import type { ReadMarker } from './unread.js';

/** The two results of `apply` (shared, frozen: no object per event). */
const NEW: { readonly isNew: boolean } = Object.freeze({ isNew: true });
const KNOWN: { readonly isNew: boolean } = Object.freeze({ isNew: false });

/**
 * The protocol-agnostic session store: profiles → rooms → messages, fed by connectors' events and
 * read by the UI through `getState()` (an immutable-by-convention snapshot) and `subscribe()`
 * (batched change notification), the pair `useSyncExternalStore` needs.
 *
 * Identity rules (what a selector may compare):
 * - `getState()` returns the same snapshot object until something changes.
 * - A `RoomState` object is REPLACED (new object, `version + 1`) whenever anything in that room
 *   changes; an unchanged room keeps its identity across snapshots. `profiles[name]` likewise.
 * - `RoomState.messages` is NOT copied per change: to keep appending O(log n) with 100k messages,
 *   the array is mutated in place (insert/splice/trim) and shared by the old and the new RoomState
 *   wrapper. Compare `room` (or `room.version`), never `room.messages`, to detect a change. A
 *   `StoredMessage` object itself is never mutated: a changed message is a new object with `rev + 1`
 *   at the same slot, so render caches can key by `id + rev`.
 * - `typing`, `online`, `members` arrays are replaced, never mutated.
 *
 * Ordering: messages are sorted by (server time in ms, id) — ids that are both all-digit compare
 * numerically, others by code unit — and are unique by id: a second copy of an id updates the stored
 * one in place (`apply` returns `isNew: false`).
 *
 * The parts live in this directory, one idea a file: timeline.ts, ingest.ts, echoes.ts, typing.ts,
 * unread.ts, mentions.ts, connection.ts, notices.ts, rooms.ts; core.ts holds their shared state.
 */
export class SessionStore {
  private readonly s: StoreCore;

  /** See {@link SessionStoreOptions} for the defaults. */
  constructor(opts: SessionStoreOptions = {}) {
    this.s = new StoreCore(opts);
  }

  // ---------------------------------------------------------------- reading

  /** The current snapshot; the same object until something changes (for `useSyncExternalStore`). */
  getState(): StoreSnapshot {
    return this.s.getState();
  }

  /**
   * Registers a change listener; returns the unsubscribe function. Notifications are coalesced: at
   * most one per `notifyIntervalMs` (synchronous after each change when it is 0). Listener errors
   * are swallowed so one bad listener cannot break the store.
   */
  subscribe(listener: () => void): () => void {
    return this.s.subscribe(listener);
  }

  /** The active room key (the one the user looks at), if any. */
  getActiveRoom(): string | undefined {
    return this.s.activeRoom;
  }

  // ---------------------------------------------------------------- profiles and rooms

  /** Adds a profile (or updates its service/capabilities). New profiles start `offline`. */
  addProfile(name: string, service: string, capabilities: Capabilities): void {
    addProfile(this.s, name, service, capabilities);
  }

  /** Sets our own user on a profile: used for mentions, for "own messages never count" and typing. */
  setMe(profile: string, me: UserRef): void {
    setMe(this.s, profile, me);
  }

  /** Adds a room, or updates name/topic/members/live of a known one (idempotent). */
  addRoom(profile: string, room: RoomInfo): void {
    addRoom(this.s, profile, room);
  }

  /** Forgets a room (after `/part`). Its pending echoes are forgotten too. */
  removeRoom(key: string): void {
    removeRoom(this.s, key);
  }

  /**
   * Marks `key` as the room the user looks at: its unread and mention counts go to 0; its
   * `firstUnread` marker is kept (the UI draws "new messages" there). The room being left gets
   * `firstUnread = -1` (everything in it has been seen). `undefined` = no room is active.
   */
  setActiveRoom(key: string | undefined): void {
    setActiveRoom(this.s, key);
  }

  /**
   * Restores the read markers of an earlier run (room key → last message seen, `ts` in ms): messages
   * after a marker count as unread and get the "new messages" line, those before it do not, also
   * when an archive or backfill loads them later; a room's marker is dropped once the user leaves it.
   */
  restoreReadMarkers(markers: Readonly<Record<string, ReadMarker>>): void {
    restoreReadMarkers(this.s, markers);
  }

  /** `/clear`: drops the loaded messages of a room from memory (pending/failed echoes stay). */
  clearRoom(key: string): void {
    clearRoom(this.s, key);
  }

  /** Sets the "fetching older history" flag of a room. */
  setLoadingHistory(key: string, loading: boolean): void {
    setLoadingHistory(this.s, key, loading);
  }

  /** Adds a line to the notice area (capped at `NOTICE_CAP`). */
  addNotice(profile: string, level: 'info' | 'error', text: string, room?: string): void {
    addNotice(this.s, profile, level, text, room);
  }

  // ---------------------------------------------------------------- events

  /**
   * Applies one event. Never throws on odd input (unknown rooms/profiles are created; edits/deletes
   * of unknown ids are ignored). Returns `isNew: false` for a message whose id is already stored
   * (it is updated in place) and for every non-message event that changed nothing new.
   */
  apply(ev: ChatEvent): { isNew: boolean } {
    const s = this.s;
    switch (ev.type) {
      case 'message':
        return applyMessage(s, ev) ? NEW : KNOWN;
      case 'message.edit':
        return applyEdit(s, ev) ? NEW : KNOWN;
      case 'message.delete':
        return applyDelete(s, ev) ? NEW : KNOWN;
      case 'typing':
        applyTyping(s, ev.profile, ev.room, ev.user, ev.typing);
        return NEW;
      case 'presence':
        setOnline(s, ev.profile, ev.room, ev.online);
        return NEW;
      case 'connection':
        applyConnection(s, ev);
        return NEW;
      case 'error':
        addNotice(s, ev.profile, 'error', ev.message, ev.room);
        return NEW;
      case 'notice':
        addNotice(s, ev.profile, 'info', ev.text, ev.room);
        return NEW;
      case 'gap':
        applyGap(s, ev.profile, ev.room);
        return NEW;
      case 'room': {
        const info: RoomInfo = { id: ev.room, name: ev.name ?? '' };
        if (ev.topic !== undefined) info.topic = ev.topic;
        if (ev.members !== undefined) info.members = ev.members;
        if (ev.live !== undefined) info.live = ev.live;
        addRoom(s, ev.profile, info);
        return NEW;
      }
      default:
        return KNOWN;
    }
  }

  /**
   * Shows our own send at once: a `pending` message `local:<txnId>` at the current time. Calling it
   * again with a known txnId (a retry) sets that message back to `pending` and clears its error.
   * `opts.time` (ISO) places a restored echo at its original time (outbox restore). Without it the
   * echo's time is max(now, last message + 1 ms (at most now + 1 min), previous echo + 1 ms), so it
   * shows at the bottom and echoes keep send order; read it back with {@link echoTime}.
   */
  addLocalEcho(profile: string, room: string, txnId: string, text: string, author: UserRef, opts: { time?: string } = {}): void {
    addLocalEcho(this.s, profile, room, txnId, text, author, opts.time);
  }

  /** ISO time of the stored message of a send (its echo or the server copy), if known. */
  echoTime(txnId: string): string | undefined {
    return echoTime(this.s, txnId);
  }

  /**
   * The server has our send `txnId`: reconciles the local echo with the server's copy `msg`. Works
   * in any order with the server's echo arriving through `apply` (matched by txnId or id): never
   * two copies. When the echo is unknown, `msg` is simply stored.
   */
  confirmSend(profile: string, txnId: string, msg: MessageEvent): void {
    confirmSend(this.s, profile, txnId, msg);
  }

  /** Our send `txnId` failed: the echo becomes `failed` with `reason` (one line), and is kept. */
  failSend(profile: string, txnId: string, reason: string): void {
    void profile;
    failSend(this.s, txnId, reason);
  }

  /** Removes a local echo that was never confirmed (discarding a failed send). Returns whether it existed. */
  removeLocalEcho(profile: string, txnId: string): boolean {
    void profile;
    return removeLocalEcho(this.s, txnId);
  }

  /**
   * Older messages fetched by the user (`loadOlder`): merged by id (known ids updated, never
   * doubled), never counted as unread. `hasMore` says whether the server may have older ones still.
   * `msgs` in any order (connectors return oldest first).
   */
  prependHistory(profile: string, room: string, msgs: MessageEvent[], hasMore: boolean): void {
    prependHistory(this.s, profile, room, msgs, hasMore);
  }

  /** Drops typing users whose time is up (also run by an unref'd timer). Exposed for tests with a fake clock. */
  expireTyping(): void {
    expireTyping(this.s);
  }

  /** Stops the store's timers (typing sweep, pending notification). Listeners are kept. */
  dispose(): void {
    stopTypingSweep(this.s);
    this.s.stopNotify();
  }
}
