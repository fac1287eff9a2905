import type { Capabilities, RoomInfo } from './connector.js';
import type { ChatEvent, ConnectionEvent, ConnectionState, MessageEvent, UserRef } from './events.js';
import { roomKey, splitRoomKey } from './state.js';
import { isoToMs } from './time.js';
import type { NoticeLine, ProfileState, RoomState, StoredMessage, TypingUser } from './state.js';

/**
 * The protocol-agnostic session store (issue 3 §2; issue 8 "Batching" and "Bounded memory").
 *
 * Shape: profiles → rooms → messages, read through `getState()` (an immutable-by-convention
 * snapshot) and `subscribe()` (batched change notification), the pair `useSyncExternalStore` needs.
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
 */

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Messages kept in memory per room (default 10,000); older ones are dropped (issue 8 "Bounded memory"). */
  scrollbackLimit?: number;
  /** How long (ms) a typing user stays listed without a refresh (default 6000). */
  typingTtlMs?: number;
  /** Minimum ms between two listener notifications (default 16 = one frame); 0 = notify synchronously. */
  notifyIntervalMs?: number;
  /** Clock in ms since epoch (default `Date.now`); used for typing expiry, notices, echoes and gaps. */
  now?: () => number;
}

/** What `getState()` returns. See the identity rules in the module comment. */
export interface StoreSnapshot {
  /** Increases with every new snapshot. */
  version: number;
  profiles: Record<string, ProfileState>;
  /** By `roomKey(profile, room)`. */
  rooms: Record<string, RoomState>;
  /** Room keys grouped by profile (profiles in order of addition), rooms in order of addition. */
  roomOrder: string[];
  /** The last {@link NOTICE_CAP} errors/notices, oldest first. */
  notices: NoticeLine[];
}

/** How many notice lines the store keeps. */
export const NOTICE_CAP = 200;

/** Capabilities of a profile the store has not been told about (events for an unknown profile). */
const NO_CAPABILITIES: Capabilities = {
  history: false,
  typingSend: false,
  typingReceive: false,
  presence: false,
  edits: false,
  roomListing: false,
  dms: false,
  join: false,
  readOnly: false,
  moderation: false,
  atMentions: false,
};

/** Severity of a connection state for aggregating per-room socket states into the profile state. */
const STATE_RANK: Record<ConnectionState, number> = { connected: 0, connecting: 1, reconnecting: 2, offline: 3, failed: 4 };

const DIGITS = /^\d+$/;

/** The two results of `apply` (shared, frozen: no object per event). */
const NEW: { readonly isNew: boolean } = Object.freeze({ isNew: true });
const KNOWN: { readonly isNew: boolean } = Object.freeze({ isNew: false });
/** Authors kept for sharing per profile; beyond this the table starts over (messages keep their objects). */
const AUTHOR_CACHE_LIMIT = 50_000;

/** Compares two ids: all-digit ids numerically (by length, then digits), anything else by code unit. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  if (DIGITS.test(a) && DIGITS.test(b)) {
    const na = a.replace(/^0+(?=\d)/, '');
    const nb = b.replace(/^0+(?=\d)/, '');
    if (na.length !== nb.length) return na.length - nb.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of messages in a room: server time (ms), then id. */
export function compareMessages(a: { ts: number; id: string }, b: { ts: number; id: string }): number {
  return a.ts - b.ts || compareIds(a.id, b.id);
}

/** Parses an ISO time to ms; `fallback` when it is not a valid time. */
function parseTs(time: string, fallback: number): number {
  const t = isoToMs(time);
  return Number.isFinite(t) ? t : fallback;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Internal per-room bookkeeping. `st` is the published RoomState (replaced on change). */
interface RoomEntry {
  st: RoomState;
  /** The room's profile (profile entries are never replaced or removed). */
  p: ProfileEntry;
  /** The same array as `st.messages` (mutated in place). */
  messages: StoredMessage[];
  /** Id → the stored message of that id. */
  byId: Map<string, StoredMessage>;
  /** Client transaction id → current id of that message (`local:<txnId>` until reconciled). */
  txns: Map<string, string>;
  /** Room was trimmed by the scrollback limit. */
  trimmed: boolean;
  /** `prependHistory` has told us whether the server has more. */
  historyKnown: boolean;
  /** `st` is part of a snapshot handed out: replace it on the next change instead of mutating it. */
  published: boolean;
}

interface ProfileEntry {
  st: ProfileState;
  /** Matches our name or id as a word, with or without `@`; undefined while we are unknown. */
  mentionRe: RegExp | undefined;
  /** Per-room socket states (connection events with `room`), aggregated into `st.state`. */
  roomStates: Map<string, { state: ConnectionState; reason?: string; retryAt?: number }>;
  rooms: string[];
  /** Author objects by user id, shared by that user's messages (one object per user, not per message). */
  authors: Map<string, UserRef>;
}

/** The session store. See the module comment for identity, ordering and batching rules. */
export class SessionStore {
  private readonly scrollbackLimit: number;
  private readonly trimSlack: number;
  private readonly typingTtlMs: number;
  private readonly notifyIntervalMs: number;
  private readonly now: () => number;

  private readonly profileMap = new Map<string, ProfileEntry>();
  private readonly roomMap = new Map<string, RoomEntry>();
  private readonly txnRoom = new Map<string, string>();
  private notices: NoticeLine[] = [];
  private noticeSeq = 0;
  private gapSeq = 0;
  private lastEchoTs = 0;
  private activeRoom: string | undefined;
  /** The room of the last `ensureRoom` (a flood goes to one room: no key string and map lookup per message). */
  private lastRoom: RoomEntry | undefined;

  private snapshot: StoreSnapshot;
  private dirty = false;
  private roomOrderDirty = false;

  private readonly listeners = new Set<() => void>();
  private notifyTimer: NodeJS.Timeout | undefined;
  private lastNotify = 0;
  private typingTimer: NodeJS.Timeout | undefined;
  private typingTimerAt = Infinity;

  /** See {@link SessionStoreOptions} for the defaults. */
  constructor(opts: SessionStoreOptions = {}) {
    this.scrollbackLimit = Math.max(1, Math.floor(opts.scrollbackLimit ?? 10_000));
    // Trimming happens in chunks (up to limit + slack, then back to limit) so a flood in a full room
    // does not memmove the whole array on every message.
    this.trimSlack = Math.max(0, Math.min(1000, Math.floor(this.scrollbackLimit / 16)));
    this.typingTtlMs = opts.typingTtlMs ?? 6000;
    this.notifyIntervalMs = Math.max(0, opts.notifyIntervalMs ?? 16);
    this.now = opts.now ?? Date.now;
    this.snapshot = { version: 0, profiles: {}, rooms: {}, roomOrder: [], notices: [] };
  }

  // ---------------------------------------------------------------- reading

  /** The current snapshot; the same object until something changes (for `useSyncExternalStore`). */
  getState(): StoreSnapshot {
    if (!this.dirty) return this.snapshot;
    const prev = this.snapshot;
    const profiles: Record<string, ProfileState> = {};
    for (const [name, p] of this.profileMap) profiles[name] = p.st;
    const rooms: Record<string, RoomState> = {};
    for (const [key, r] of this.roomMap) {
      rooms[key] = r.st;
      r.published = true;
    }
    let roomOrder = prev.roomOrder;
    if (this.roomOrderDirty) {
      roomOrder = [];
      for (const p of this.profileMap.values()) roomOrder.push(...p.rooms);
      this.roomOrderDirty = false;
    }
    this.snapshot = {
      version: prev.version + 1,
      profiles,
      rooms,
      roomOrder,
      notices: prev.notices === this.notices ? prev.notices : this.notices,
    };
    this.dirty = false;
    return this.snapshot;
  }

  /**
   * Registers a change listener; returns the unsubscribe function. Notifications are coalesced: at
   * most one per `notifyIntervalMs` (synchronous after each change when it is 0). Listener errors
   * are swallowed so one bad listener cannot break the store.
   */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The active room key (the one the user looks at), if any. */
  getActiveRoom(): string | undefined {
    return this.activeRoom;
  }

  // ---------------------------------------------------------------- profiles and rooms

  /** Adds a profile (or updates its service/capabilities). New profiles start `offline`. */
  addProfile(name: string, service: string, capabilities: Capabilities): void {
    const p = this.profileMap.get(name);
    if (p) {
      p.st = { ...p.st, service, capabilities };
      // Rooms created before the capabilities were known (events or echoes first) follow them now.
      for (const key of p.rooms) {
        const r = this.roomMap.get(key);
        if (!r) continue;
        const patch: Partial<RoomState> = {};
        const more = capabilities.history && (r.trimmed || !r.historyKnown || r.st.hasMoreHistory);
        if (more !== r.st.hasMoreHistory) patch.hasMoreHistory = more;
        if (capabilities.presence && r.st.online === undefined) patch.online = [];
        if (Object.keys(patch).length) this.touch(r, patch);
      }
    } else {
      this.profileMap.set(name, {
        st: { name, service, state: 'offline', capabilities },
        mentionRe: undefined,
        roomStates: new Map(),
        rooms: [],
        authors: new Map(),
      });
      this.roomOrderDirty = true;
    }
    this.changed();
  }

  /** Sets our own user on a profile: used for mentions, for "own messages never count" and typing. */
  setMe(profile: string, me: UserRef): void {
    const p = this.ensureProfile(profile);
    if (p.st.me && p.st.me.id === me.id && p.st.me.name === me.name) return;
    p.st = { ...p.st, me: { id: me.id, name: me.name } };
    const alts: string[] = [];
    for (const s of [me.name, me.id]) {
      const t = s.trim();
      if (t.length === 0) continue;
      // An all-digit id would match any number in the text: only `@42` counts for those.
      alts.push(DIGITS.test(t) ? `@${escapeRegExp(t)}` : `@?${escapeRegExp(t)}`);
    }
    p.mentionRe = alts.length ? new RegExp(`(?<![\\p{L}\\p{N}_@])(?:${alts.join('|')})(?![\\p{L}\\p{N}_])`, 'iu') : undefined;
    this.changed();
  }

  /** Adds a room, or updates name/topic/members/live of a known one (idempotent). */
  addRoom(profile: string, room: RoomInfo): void {
    const r = this.ensureRoom(profile, room.id);
    const patch: Partial<RoomState> = {};
    if (room.name && room.name !== r.st.name) patch.name = room.name;
    if (room.topic !== undefined && room.topic !== r.st.topic) patch.topic = room.topic;
    if (room.live !== undefined && room.live !== r.st.live) patch.live = room.live;
    if (room.members !== undefined) patch.members = room.members.slice();
    if (Object.keys(patch).length) this.touch(r, patch);
  }

  /** Forgets a room (after `/part`). Its pending echoes are forgotten too. */
  removeRoom(key: string): void {
    const r = this.roomMap.get(key);
    if (!r) return;
    this.roomMap.delete(key);
    if (this.lastRoom === r) this.lastRoom = undefined;
    for (const txn of r.txns.keys()) this.txnRoom.delete(txn);
    const p = this.profileMap.get(r.st.profile);
    if (p) p.rooms = p.rooms.filter((k) => k !== key);
    if (this.activeRoom === key) this.activeRoom = undefined;
    this.roomOrderDirty = true;
    this.changed();
  }

  /**
   * Marks `key` as the room the user looks at: its unread and mention counts go to 0; its
   * `firstUnread` marker is kept (the UI draws "new messages" there). The room being left gets
   * `firstUnread = -1` (everything in it has been seen). `undefined` = no room is active.
   */
  setActiveRoom(key: string | undefined): void {
    const prev = this.activeRoom;
    if (prev === key) {
      if (key !== undefined) this.markRead(key);
      return;
    }
    this.activeRoom = key;
    if (prev !== undefined) {
      const r = this.roomMap.get(prev);
      if (r && (r.st.firstUnread !== -1 || r.st.unread || r.st.mentions)) this.touch(r, { firstUnread: -1, unread: 0, mentions: 0 });
    }
    if (key !== undefined) this.markRead(key);
    this.changed();
  }

  private markRead(key: string): void {
    const r = this.roomMap.get(key);
    if (r && (r.st.unread || r.st.mentions)) this.touch(r, { unread: 0, mentions: 0 });
  }

  /** `/clear`: drops the loaded messages of a room from memory (pending/failed echoes stay). */
  clearRoom(key: string): void {
    const r = this.roomMap.get(key);
    if (!r) return;
    const keep = r.messages.filter((m) => m.status !== 'sent' && m.kind !== 'gap');
    r.messages.length = 0;
    r.byId.clear();
    for (const m of keep) {
      r.messages.push(m);
      r.byId.set(m.id, m);
    }
    const caps = this.profileMap.get(r.st.profile)?.st.capabilities ?? NO_CAPABILITIES;
    this.touch(r, { unread: 0, mentions: 0, firstUnread: -1, hasMoreHistory: caps.history });
  }

  /** Sets the "fetching older history" flag of a room. */
  setLoadingHistory(key: string, loading: boolean): void {
    const r = this.roomMap.get(key);
    if (r && r.st.loadingHistory !== loading) this.touch(r, { loadingHistory: loading });
  }

  // ---------------------------------------------------------------- events

  /**
   * Applies one event. Never throws on odd input (unknown rooms/profiles are created; edits/deletes
   * of unknown ids are ignored). Returns `isNew: false` for a message whose id is already stored
   * (it is updated in place) and for every non-message event that changed nothing new.
   */
  apply(ev: ChatEvent): { isNew: boolean } {
    switch (ev.type) {
      case 'message':
        return this.applyMessage(ev) ? NEW : KNOWN;
      case 'message.edit': {
        const r = this.roomMap.get(roomKey(ev.profile, ev.room));
        const m = r?.byId.get(ev.id);
        if (!r || !m || m.deleted) return KNOWN;
        if (m.text === ev.text && m.edited) return KNOWN;
        const p = this.profileMap.get(ev.profile);
        this.replaceMessage(r, m, { ...m, text: ev.text, edited: true, mention: m.kind === 'normal' && this.isMention(p, m.author, ev.text, undefined), rev: m.rev + 1 });
        this.touch(r, {});
        return NEW;
      }
      case 'message.delete': {
        const r = this.roomMap.get(roomKey(ev.profile, ev.room));
        const m = r?.byId.get(ev.id);
        if (!r || !m || m.deleted) return KNOWN;
        this.replaceMessage(r, m, { ...m, text: '', deleted: true, mention: false, rev: m.rev + 1 });
        this.touch(r, {});
        return NEW;
      }
      case 'typing':
        this.applyTyping(ev.profile, ev.room, ev.user, ev.typing);
        return NEW;
      case 'presence': {
        const r = this.ensureRoom(ev.profile, ev.room);
        this.touch(r, { online: ev.online.slice() });
        return NEW;
      }
      case 'connection':
        this.applyConnection(ev);
        return NEW;
      case 'error':
        this.addNotice(ev.profile, 'error', ev.message, ev.room);
        return NEW;
      case 'notice':
        this.addNotice(ev.profile, 'info', ev.text, ev.room);
        return NEW;
      case 'gap': {
        const r = this.ensureRoom(ev.profile, ev.room);
        const last = r.messages[r.messages.length - 1];
        const ts = Math.max(this.now(), last ? last.ts + 1 : 0);
        const gap: StoredMessage = {
          id: `gap:${++this.gapSeq}`,
          room: ev.room,
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
        this.insert(r, gap);
        this.trim(r);
        this.touch(r, {});
        return NEW;
      }
      case 'room': {
        const info: RoomInfo = { id: ev.room, name: ev.name ?? '' };
        if (ev.topic !== undefined) info.topic = ev.topic;
        if (ev.members !== undefined) info.members = ev.members;
        if (ev.live !== undefined) info.live = ev.live;
        this.addRoom(ev.profile, info);
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
    const existingKey = this.txnRoom.get(txnId);
    const existingRoom = existingKey === undefined ? undefined : this.roomMap.get(existingKey);
    const existingId = existingRoom?.txns.get(txnId);
    const existing = existingId === undefined ? undefined : existingRoom?.byId.get(existingId);
    if (existingRoom && existing) {
      if (existing.status === 'sent') return;
      const next: StoredMessage = { ...existing, status: 'pending', rev: existing.rev + 1 };
      delete next.error;
      this.replaceMessage(existingRoom, existing, next);
      this.touch(existingRoom, {});
      return;
    }
    const r = this.ensureRoom(profile, room);
    const now = this.now();
    // A new echo goes at the bottom and after the previous echo (sends in the same ms keep their order).
    const last = r.messages[r.messages.length - 1];
    // (A server clock ahead of ours by more than a minute, or a bogus far-future time, is not followed.)
    const afterLast = last ? Math.min(last.ts + 1, now + 60_000) : 0;
    const ts = opts.time === undefined ? Math.max(now, afterLast, this.lastEchoTs + 1) : parseTs(opts.time, now);
    if (opts.time === undefined) this.lastEchoTs = ts;
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
    this.insert(r, msg);
    r.txns.set(txnId, msg.id);
    this.txnRoom.set(txnId, r.st.key);
    this.touch(r, {});
  }

  /** ISO time of the stored message of a send (its echo or the server copy), if known. */
  echoTime(txnId: string): string | undefined {
    const key = this.txnRoom.get(txnId);
    const r = key === undefined ? undefined : this.roomMap.get(key);
    const id = r?.txns.get(txnId);
    const m = id === undefined ? undefined : r?.byId.get(id);
    return m === undefined ? undefined : new Date(m.ts).toISOString();
  }

  /**
   * The server has our send `txnId`: reconciles the local echo with the server's copy `msg`. Works
   * in any order with the server's echo arriving through `apply` (matched by txnId or id): never
   * two copies. When the echo is unknown, `msg` is simply stored.
   */
  confirmSend(profile: string, txnId: string, msg: MessageEvent): void {
    const r = this.ensureRoom(profile, msg.room);
    this.reconcile(r, txnId, msg);
    this.touch(r, {});
  }

  /** Our send `txnId` failed: the echo becomes `failed` with `reason` (one line), and is kept. */
  failSend(profile: string, txnId: string, reason: string): void {
    void profile;
    const key = this.txnRoom.get(txnId);
    const r = key === undefined ? undefined : this.roomMap.get(key);
    const id = r?.txns.get(txnId);
    const m = id === undefined ? undefined : r?.byId.get(id);
    if (!r || !m || m.status === 'sent') return;
    this.replaceMessage(r, m, { ...m, status: 'failed', error: reason, rev: m.rev + 1 });
    this.touch(r, {});
  }

  /** Removes a local echo that was never confirmed (discarding a failed send). Returns whether it existed. */
  removeLocalEcho(profile: string, txnId: string): boolean {
    void profile;
    const key = this.txnRoom.get(txnId);
    const r = key === undefined ? undefined : this.roomMap.get(key);
    const id = r?.txns.get(txnId);
    const m = id === undefined ? undefined : r?.byId.get(id);
    if (!r || !m || m.status === 'sent') return false;
    this.removeAt(r, m);
    r.txns.delete(txnId);
    this.txnRoom.delete(txnId);
    this.touch(r, {});
    return true;
  }

  /**
   * Older messages fetched by the user (`loadOlder`): merged by id (known ids updated, never
   * doubled), never counted as unread. `hasMore` says whether the server may have older ones still.
   * `msgs` in any order (connectors return oldest first).
   */
  prependHistory(profile: string, room: string, msgs: MessageEvent[], hasMore: boolean): void {
    const r = this.ensureRoom(profile, room);
    const p = this.profileMap.get(profile);
    const fresh: StoredMessage[] = [];
    const seen = new Set<string>();
    for (const ev of msgs) {
      if (seen.has(ev.id)) continue;
      seen.add(ev.id);
      const known = r.byId.get(ev.id);
      if (known) {
        this.updateFromServer(r, known, ev, p);
        continue;
      }
      if (ev.txnId !== undefined && r.txns.has(ev.txnId)) {
        this.reconcile(r, ev.txnId, ev);
        continue;
      }
      fresh.push(this.toStored(ev, p));
    }
    if (fresh.length) {
      fresh.sort(compareMessages);
      const fuMsg = r.st.firstUnread >= 0 ? r.messages[r.st.firstUnread] : undefined;
      mergeInto(r.messages, fresh);
      for (const m of fresh) r.byId.set(m.id, m);
      const patch: Partial<RoomState> = { hasMoreHistory: hasMore };
      if (fuMsg) patch.firstUnread = this.indexOf(r, fuMsg);
      r.historyKnown = true;
      this.touch(r, patch);
    } else {
      r.historyKnown = true;
      this.touch(r, { hasMoreHistory: hasMore });
    }
  }

  /** Drops typing users whose time is up (also run by an unref'd timer). Exposed for tests with a fake clock. */
  expireTyping(): void {
    const now = this.now();
    for (const r of this.roomMap.values()) {
      if (r.st.typing.length === 0) continue;
      const left = r.st.typing.filter((t) => t.until > now);
      if (left.length !== r.st.typing.length) this.touch(r, { typing: left });
    }
    this.scheduleTypingSweep();
  }

  /** Stops the store's timers (typing sweep, pending notification). Listeners are kept. */
  dispose(): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = undefined;
    this.typingTimerAt = Infinity;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
  }

  // ---------------------------------------------------------------- internals: messages

  private applyMessage(ev: MessageEvent): boolean {
    const r = this.ensureRoom(ev.profile, ev.room);
    const p = r.p;
    const known = r.byId.get(ev.id);
    if (known) {
      this.updateFromServer(r, known, ev, p);
      if (ev.txnId !== undefined) this.reconcile(r, ev.txnId, ev);
      this.touch(r, {});
      return false;
    }
    // Our own send coming back before (or instead of) the send's reply.
    let txnId = ev.txnId !== undefined && r.txns.has(ev.txnId) ? ev.txnId : undefined;
    if (txnId === undefined && p?.st.me && ev.author.id === p.st.me.id && r.txns.size) txnId = this.matchEchoByText(r, ev.text);
    if (txnId !== undefined) {
      this.reconcile(r, txnId, ev);
      this.dropTyping(r, ev.author.id);
      this.touch(r, {});
      return true;
    }
    const m = this.toStored(ev, p);
    const idx = this.insert(r, m);
    // The hot path of a flood: the room's counters are updated on its own RoomState (see `own`), no patch object.
    const st = this.own(r);
    const me = p?.st.me;
    const isOwn = me !== undefined && ev.author.id === me.id;
    if (!isOwn && this.activeRoom !== st.key && m.kind !== 'gap') {
      st.unread++;
      if (m.mention) st.mentions++;
      if (st.firstUnread < 0 || idx < st.firstUnread) st.firstUnread = idx;
    }
    if (st.typing.length) {
      const typing = st.typing.filter((t) => t.user.id !== ev.author.id);
      if (typing.length !== st.typing.length) st.typing = typing;
    }
    this.changed();
    this.trim(r);
    return true;
  }

  /** The oldest pending echo in the room with the same text (a server echo that carries no txnId). */
  private matchEchoByText(r: RoomEntry, text: string): string | undefined {
    let best: StoredMessage | undefined;
    for (const [txn, id] of r.txns) {
      const m = r.byId.get(id);
      if (m && m.status === 'pending' && m.id.startsWith('local:') && m.text.trim() === text.trim()) {
        if (!best || compareMessages(m, best) < 0) best = m;
        void txn;
      }
    }
    return best?.txnId;
  }

  /** Replaces the echo of `txnId` by the server's copy, or merges into an already stored copy. */
  private reconcile(r: RoomEntry, txnId: string, ev: MessageEvent): void {
    const p = this.profileMap.get(r.st.profile);
    const curId = r.txns.get(txnId);
    const cur = curId === undefined ? undefined : r.byId.get(curId);
    const isEcho = cur !== undefined && cur.id.startsWith('local:');
    const existing = r.byId.get(ev.id);
    if (existing) {
      if (isEcho && cur !== existing) this.removeAt(r, cur);
      let next = this.fromServer(existing, ev, p);
      if (next.txnId === undefined) next = { ...next, txnId, rev: next === existing ? existing.rev + 1 : next.rev };
      if (next !== existing) this.replaceMessage(r, existing, next);
    } else if (isEcho) {
      const next = this.toStored(ev, p);
      next.txnId = txnId;
      next.rev = cur.rev + 1;
      this.replaceMessage(r, cur, next);
    } else {
      const next = this.toStored(ev, p);
      next.txnId = txnId;
      this.insert(r, next);
    }
    r.txns.set(txnId, ev.id);
    this.txnRoom.set(txnId, r.st.key);
  }

  /** A second copy of a known id: update text/author/time (never duplicates). */
  private updateFromServer(r: RoomEntry, known: StoredMessage, ev: MessageEvent, p: ProfileEntry | undefined): void {
    const next = this.fromServer(known, ev, p);
    if (next !== known) this.replaceMessage(r, known, next);
  }

  /** `known` updated with the server copy `ev`, or `known` itself when nothing differs. */
  private fromServer(known: StoredMessage, ev: MessageEvent, p: ProfileEntry | undefined): StoredMessage {
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
      known.status === 'sent'
    )
      return known;
    const kind = known.kind === 'gap' ? 'gap' : ev.kind === 'system' ? 'system' : 'normal';
    const next: StoredMessage = {
      ...known,
      author: this.author(p, ev.author),
      text,
      ts,
      edited,
      status: 'sent',
      kind,
      mention: !deleted && kind === 'normal' && this.isMention(p, ev.author, text, ev.mentions),
      rev: known.rev + 1,
    };
    delete next.error;
    return next;
  }

  private toStored(ev: MessageEvent, p: ProfileEntry | undefined): StoredMessage {
    const parsed = typeof ev.time === 'string' ? isoToMs(ev.time) : NaN;
    const valid = Number.isFinite(parsed);
    const ts = valid ? parsed : this.now();
    const kind = ev.kind === 'system' ? 'system' : 'normal';
    const m: StoredMessage = {
      id: ev.id,
      room: ev.room,
      author: this.author(p, ev.author),
      text: ev.text,
      ts,
      edited: ev.edited === true,
      deleted: false,
      status: 'sent',
      mention: kind === 'normal' && this.isMention(p, ev.author, ev.text, ev.mentions),
      kind,
      rev: 0,
    };
    if (ev.txnId !== undefined) m.txnId = ev.txnId;
    return m;
  }

  /** A shared `{id, name}` for `u` (a copy: the event's object is not kept). */
  private author(p: ProfileEntry | undefined, u: UserRef): UserRef {
    if (!p) return { id: u.id, name: u.name };
    const known = p.authors.get(u.id);
    if (known !== undefined && known.name === u.name) return known;
    if (p.authors.size >= AUTHOR_CACHE_LIMIT) p.authors.clear();
    const fresh: UserRef = { id: u.id, name: u.name };
    p.authors.set(u.id, fresh);
    return fresh;
  }

  /** Mentions us: our id in the service's list, or our name/id as a word in the text. Own messages never. */
  private isMention(p: ProfileEntry | undefined, author: UserRef, text: string, mentions: string[] | undefined): boolean {
    const me = p?.st.me;
    if (!me) return false;
    if (author.id === me.id) return false;
    if (mentions && mentions.includes(me.id)) return true;
    return p.mentionRe !== undefined && p.mentionRe.test(text);
  }

  /** Inserts by binary search (fast path: append). Returns the index. Keeps `firstUnread` pointing at its message. */
  private insert(r: RoomEntry, m: StoredMessage): number {
    const arr = r.messages;
    let idx: number;
    const last = arr[arr.length - 1];
    if (!last || compareMessages(last, m) < 0) {
      idx = arr.length;
      arr.push(m);
    } else {
      idx = lowerBound(arr, m);
      arr.splice(idx, 0, m);
      if (r.st.firstUnread >= 0 && idx <= r.st.firstUnread) this.touch(r, { firstUnread: r.st.firstUnread + 1 });
    }
    r.byId.set(m.id, m);
    return idx;
  }

  /** Index of a stored message (binary search by its (ts, id)); -1 when absent. */
  private indexOf(r: RoomEntry, m: StoredMessage): number {
    const i = lowerBound(r.messages, m);
    return r.messages[i]?.id === m.id ? i : r.messages.indexOf(m);
  }

  private removeAt(r: RoomEntry, m: StoredMessage): void {
    const i = this.indexOf(r, m);
    if (i >= 0) {
      r.messages.splice(i, 1);
      const fu = r.st.firstUnread;
      if (fu >= 0 && i < fu) this.touch(r, { firstUnread: fu - 1 });
      else if (fu >= 0 && fu >= r.messages.length) this.touch(r, { firstUnread: r.messages.length ? r.messages.length - 1 : -1 });
    }
    if (r.byId.get(m.id) === m) r.byId.delete(m.id);
  }

  /** Puts `next` in the place of `old` (same slot when the order key is unchanged, else moves it). */
  private replaceMessage(r: RoomEntry, old: StoredMessage, next: StoredMessage): void {
    const i = this.indexOf(r, old);
    if (old.id !== next.id && r.byId.get(old.id) === old) r.byId.delete(old.id);
    if (i >= 0 && old.ts === next.ts && old.id === next.id) {
      r.messages[i] = next;
      r.byId.set(next.id, next);
      return;
    }
    // The order key changed (echo → server copy): remove and re-insert, keeping firstUnread on its message.
    const fu = r.st.firstUnread;
    const fuMsg = fu >= 0 ? r.messages[fu] : undefined;
    if (i >= 0) r.messages.splice(i, 1);
    const j = lowerBound(r.messages, next);
    r.messages.splice(j, 0, next);
    r.byId.set(next.id, next);
    if (fuMsg) {
      const target = fuMsg === old ? next : fuMsg;
      const k = this.indexOf(r, target);
      if (k !== fu) this.touch(r, { firstUnread: k });
    }
  }

  /** Enforces the scrollback limit: drops the oldest (in chunks), marks more history on the server. */
  private trim(r: RoomEntry): void {
    const arr = r.messages;
    if (arr.length <= this.scrollbackLimit + this.trimSlack) return;
    const drop = arr.length - this.scrollbackLimit;
    const dropped = arr.splice(0, drop);
    for (const m of dropped) {
      if (r.byId.get(m.id) === m) r.byId.delete(m.id);
      if (m.txnId !== undefined && r.txns.get(m.txnId) === m.id) {
        r.txns.delete(m.txnId);
        this.txnRoom.delete(m.txnId);
      }
    }
    r.trimmed = true;
    const caps = this.profileMap.get(r.st.profile)?.st.capabilities ?? NO_CAPABILITIES;
    const fu = r.st.firstUnread;
    this.touch(r, { hasMoreHistory: caps.history, firstUnread: fu < 0 ? -1 : Math.max(0, fu - drop) });
  }

  // ---------------------------------------------------------------- internals: typing, connection, notices

  private applyTyping(profile: string, room: string, user: UserRef, typing: boolean): void {
    const r = this.ensureRoom(profile, room);
    const me = this.profileMap.get(profile)?.st.me;
    if (me && me.id === user.id) return;
    const others = r.st.typing.filter((t) => t.user.id !== user.id);
    if (typing) {
      const entry: TypingUser = { user: { id: user.id, name: user.name }, until: this.now() + this.typingTtlMs };
      this.touch(r, { typing: [...others, entry] });
      this.scheduleTypingSweep();
    } else if (others.length !== r.st.typing.length) {
      this.touch(r, { typing: others });
    }
  }

  private dropTyping(r: RoomEntry, userId: string): void {
    const typing = r.st.typing.filter((t) => t.user.id !== userId);
    if (typing.length !== r.st.typing.length) this.touch(r, { typing });
  }

  /** Arms one unref'd timer for the earliest typing expiry. */
  private scheduleTypingSweep(): void {
    let next = Infinity;
    for (const r of this.roomMap.values()) for (const t of r.st.typing) if (t.until < next) next = t.until;
    if (next === Infinity) {
      if (this.typingTimer) clearTimeout(this.typingTimer);
      this.typingTimer = undefined;
      this.typingTimerAt = Infinity;
      return;
    }
    if (this.typingTimer && this.typingTimerAt <= next) return;
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimerAt = next;
    this.typingTimer = setTimeout(() => {
      this.typingTimer = undefined;
      this.typingTimerAt = Infinity;
      this.expireTyping();
    }, Math.max(10, next - this.now() + 5));
    this.typingTimer.unref();
  }

  private applyConnection(ev: ConnectionEvent): void {
    const p = this.ensureProfile(ev.profile);
    const retryAt = ev.retryAt === undefined ? undefined : Date.parse(ev.retryAt);
    const one: { state: ConnectionState; reason?: string; retryAt?: number } = { state: ev.state };
    if (ev.reason !== undefined) one.reason = ev.reason;
    if (retryAt !== undefined && Number.isFinite(retryAt)) one.retryAt = retryAt;
    let agg = one;
    if (ev.room !== undefined) {
      // Per-room socket (chatapi): the profile shows the worst state of its rooms.
      p.roomStates.set(ev.room, one);
      for (const s of p.roomStates.values()) if (STATE_RANK[s.state] > STATE_RANK[agg.state]) agg = s;
    } else {
      p.roomStates.clear();
    }
    const next: ProfileState = { ...p.st, state: agg.state };
    delete next.reason;
    delete next.retryAt;
    if (agg.reason !== undefined) next.reason = agg.reason;
    if (agg.retryAt !== undefined) next.retryAt = agg.retryAt;
    p.st = next;
    this.changed();
  }

  /** Adds a line to the notice area (capped at {@link NOTICE_CAP}). */
  addNotice(profile: string, level: 'info' | 'error', text: string, room?: string): void {
    const line: NoticeLine = { id: ++this.noticeSeq, time: this.now(), profile, level, text };
    if (room !== undefined) line.room = room;
    const next = this.notices.length >= NOTICE_CAP ? this.notices.slice(this.notices.length - NOTICE_CAP + 1) : this.notices.slice();
    next.push(line);
    this.notices = next;
    this.changed();
  }

  // ---------------------------------------------------------------- internals: structure and notification

  private ensureProfile(name: string): ProfileEntry {
    let p = this.profileMap.get(name);
    if (!p) {
      this.addProfile(name, '', NO_CAPABILITIES);
      p = this.profileMap.get(name) as ProfileEntry;
    }
    return p;
  }

  private ensureRoom(profile: string, room: string): RoomEntry {
    const last = this.lastRoom;
    if (last !== undefined && last.st.id === room && last.st.profile === profile) return last;
    const key = roomKey(profile, room);
    let r = this.roomMap.get(key);
    if (r) {
      this.lastRoom = r;
      return r;
    }
    const p = this.ensureProfile(profile);
    const caps = p.st.capabilities;
    const messages: StoredMessage[] = [];
    r = {
      p,
      st: {
        key,
        profile,
        id: room,
        name: room,
        members: [],
        online: caps.presence ? [] : undefined,
        typing: [],
        messages,
        unread: 0,
        mentions: 0,
        firstUnread: -1,
        loadingHistory: false,
        hasMoreHistory: caps.history,
        version: 0,
      },
      messages,
      byId: new Map<string, StoredMessage>(),
      txns: new Map(),
      trimmed: false,
      historyKnown: false,
      published: false,
    };
    this.roomMap.set(key, r);
    this.lastRoom = r;
    p.rooms.push(key);
    this.roomOrderDirty = true;
    this.changed();
    return r;
  }

  /**
   * Applies `patch` to a room with version + 1. When the current RoomState object has been handed
   * out by `getState()`, a new wrapper (same messages array) replaces it; otherwise nobody has seen
   * it yet and it is updated in place (one wrapper per room per snapshot during a flood).
   */
  /**
   * `touch(r, {})` that returns the room's RoomState to change in place: a fresh wrapper when the current
   * one was handed out (so the caller never mutates a published object), else the unpublished one. The
   * caller calls `changed()` AFTER its changes (a synchronous listener may publish the state at once).
   */
  private own(r: RoomEntry): RoomState {
    if (r.published) {
      r.st = { ...r.st, version: r.st.version + 1 };
      r.published = false;
    } else {
      r.st.version++;
    }
    return r.st;
  }

  private touch(r: RoomEntry, patch: Partial<RoomState>): void {
    if (r.published) {
      r.st = { ...r.st, ...patch, version: r.st.version + 1 };
      r.published = false;
    } else {
      Object.assign(r.st, patch);
      r.st.version++;
    }
    this.changed();
  }

  private changed(): void {
    this.dirty = true;
    if (this.listeners.size === 0) return;
    if (this.notifyIntervalMs === 0) {
      this.notify();
      return;
    }
    if (this.notifyTimer) return;
    const wait = Math.max(0, this.lastNotify + this.notifyIntervalMs - Date.now());
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.notify();
    }, wait);
  }

  private notify(): void {
    this.lastNotify = Date.now();
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // a listener's failure must not break the store
      }
    }
  }
}

/** First index whose message is not before `m` in (ts, id) order. */
function lowerBound(arr: StoredMessage[], m: { ts: number; id: string }): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(arr[mid] as StoredMessage, m) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges sorted `add` into sorted `arr` in place (O(n + k), the array keeps its identity). */
function mergeInto(arr: StoredMessage[], add: StoredMessage[]): void {
  const n = arr.length;
  const k = add.length;
  if (k === 0) return;
  for (const m of add) arr.push(m); // grow without holes; slots >= n are overwritten below
  let i = n - 1;
  let j = k - 1;
  let w = n + k - 1;
  while (j >= 0) {
    if (i >= 0 && compareMessages(arr[i] as StoredMessage, add[j] as StoredMessage) > 0) arr[w--] = arr[i--] as StoredMessage;
    else arr[w--] = add[j--] as StoredMessage;
  }
}

export { roomKey, splitRoomKey };
