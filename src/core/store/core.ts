import type { ReadMarker } from './unread.js';
import type { Capabilities } from '../connector.js';
import type { ConnectionState, UserRef } from '../events.js';
import { roomKey } from '../state.js';
import type { NoticeLine, ProfileState, RoomState, StoredMessage } from '../state.js';

/**
 * The store's shared state and the rules every part of it follows: entries per profile and room,
 * the snapshot handed to readers, copy-on-publish of a room's state, and batched notification.
 * The parts (timeline, echoes, typing, unread, connection, notices) are functions over a
 * {@link StoreCore}; `SessionStore` is their public face.
 */

/** Options of `SessionStore`. */
export interface SessionStoreOptions {
  /** Messages kept in memory per room (default 10,000); older ones are dropped (a bounded scrollback). */
  scrollbackLimit?: number;
  /** How long (ms) a typing user stays listed without a refresh (default 6000). */
  typingTtlMs?: number;
  /** Minimum ms between two listener notifications (default 16 = one frame); 0 = notify synchronously. */
  notifyIntervalMs?: number;
  /** Clock in ms since epoch (default `Date.now`); used for typing expiry, notices, echoes and gaps. */
  now?: () => number;
}

/** What `getState()` returns. See the identity rules in `SessionStore`'s comment. */
export interface StoreSnapshot {
  /** Increases with every new snapshot. */
  version: number;
  profiles: Record<string, ProfileState>;
  /** By `roomKey(profile, room)`. */
  rooms: Record<string, RoomState>;
  /** Room keys grouped by profile (profiles in order of addition), rooms in order of addition. */
  roomOrder: string[];
  /** The last `NOTICE_CAP` errors/notices, oldest first. */
  notices: NoticeLine[];
}

/** Capabilities of a profile the store has not been told about (events for an unknown profile): nothing. */
export const NO_CAPABILITIES: Capabilities = {
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
  editOwn: false,
  deleteOwn: false,
  topicSet: false,
  nick: false,
};

/** One socket's connection state (a profile's, or one room's on a per-room socket). `retryAt` ms since epoch. */
export interface LinkState {
  state: ConnectionState;
  reason?: string;
  retryAt?: number;
}

/** Internal per-room bookkeeping. `st` is the published RoomState (replaced on change). */
export interface RoomEntry {
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

/** Internal per-profile bookkeeping. `st` is the published ProfileState (replaced on change). */
export interface ProfileEntry {
  st: ProfileState;
  /** Matches our name or id as a word, with or without `@`; undefined while we are unknown. */
  mentionRe: RegExp | undefined;
  /** Per-room socket states (connection events with `room`), aggregated into `st.state`. */
  roomStates: Map<string, LinkState>;
  rooms: string[];
  /** Author objects by user id, shared by that user's messages (one object per user, not per message). */
  authors: Map<string, UserRef>;
}

/** The state every part of the store reads and changes. Not exported from the store's index. */
export class StoreCore {
  readonly scrollbackLimit: number;
  /** Trimming happens in chunks (up to limit + slack, then back to limit): a flood in a full room does not memmove per message. */
  readonly trimSlack: number;
  readonly typingTtlMs: number;
  readonly notifyIntervalMs: number;
  readonly now: () => number;

  readonly profileMap = new Map<string, ProfileEntry>();
  readonly roomMap = new Map<string, RoomEntry>();
  /** Client transaction id → the key of the room holding that send. */
  readonly txnRoom = new Map<string, string>();
  notices: NoticeLine[] = [];
  noticeSeq = 0;
  gapSeq = 0;
  lastEchoTs = 0;
  activeRoom: string | undefined;
  /** Room key → the read marker restored from an earlier run, until the user leaves that room (unread.ts). */
  readonly readMarkers = new Map<string, ReadMarker>();
  /** The room of the last `ensureRoom` (a flood goes to one room: no key string and map lookup per message). */
  lastRoom: RoomEntry | undefined;
  typingTimer: NodeJS.Timeout | undefined;
  typingTimerAt = Infinity;

  private snapshot: StoreSnapshot;
  private dirty = false;
  roomOrderDirty = false;
  private readonly listeners = new Set<() => void>();
  private notifyTimer: NodeJS.Timeout | undefined;
  private lastNotify = 0;

  constructor(opts: SessionStoreOptions) {
    this.scrollbackLimit = Math.max(1, Math.floor(opts.scrollbackLimit ?? 10_000));
    this.trimSlack = Math.max(0, Math.min(1000, Math.floor(this.scrollbackLimit / 16)));
    this.typingTtlMs = opts.typingTtlMs ?? 6000;
    this.notifyIntervalMs = Math.max(0, opts.notifyIntervalMs ?? 16);
    this.now = opts.now ?? Date.now;
    this.snapshot = { version: 0, profiles: {}, rooms: {}, roomOrder: [], notices: [] };
  }

  /** The current snapshot; the same object until something changes. Marks every room state as published. */
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

  /** Adds a change listener; returns its removal. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Creates the entry of a profile not known yet (state `offline`). */
  createProfile(name: string, service: string, capabilities: Capabilities): ProfileEntry {
    const p: ProfileEntry = {
      st: { name, service, state: 'offline', capabilities },
      mentionRe: undefined,
      roomStates: new Map(),
      rooms: [],
      authors: new Map(),
    };
    this.profileMap.set(name, p);
    this.roomOrderDirty = true;
    this.changed();
    return p;
  }

  /** The entry of a profile, created (no service, no capabilities) for events of an unknown one. */
  ensureProfile(name: string): ProfileEntry {
    return this.profileMap.get(name) ?? this.createProfile(name, '', NO_CAPABILITIES);
  }

  /** The entry of a room, created (named by its id) when unknown. */
  ensureRoom(profile: string, room: string): RoomEntry {
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

  /** The capabilities of a room's profile. */
  capabilitiesOf(r: RoomEntry): Capabilities {
    return this.profileMap.get(r.st.profile)?.st.capabilities ?? NO_CAPABILITIES;
  }

  /**
   * The room's RoomState to change in place, with version + 1: a fresh wrapper when the current one
   * was handed out (so the caller never mutates a published object), else the unpublished one. The
   * caller calls `changed()` AFTER its changes (a synchronous listener may publish the state at once).
   */
  own(r: RoomEntry): RoomState {
    if (r.published) {
      r.st = { ...r.st, version: r.st.version + 1 };
      r.published = false;
    } else {
      r.st.version++;
    }
    return r.st;
  }

  /**
   * Applies `patch` to a room with version + 1. When the current RoomState object has been handed
   * out by `getState()`, a new wrapper (same messages array) replaces it; otherwise nobody has seen
   * it yet and it is updated in place (one wrapper per room per snapshot during a flood).
   */
  touch(r: RoomEntry, patch: Partial<RoomState>): void {
    if (r.published) {
      r.st = { ...r.st, ...patch, version: r.st.version + 1 };
      r.published = false;
    } else {
      Object.assign(r.st, patch);
      r.st.version++;
    }
    this.changed();
  }

  /** Something changed: the next `getState()` builds a new snapshot; listeners hear of it (batched). */
  changed(): void {
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

  /** Cancels a pending notification. */
  stopNotify(): void {
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
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
