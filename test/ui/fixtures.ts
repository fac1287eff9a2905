import type { Capabilities, ModerationAction } from '../../src/core/connector.js';
import type { UserRef } from '../../src/core/events.js';
import { roomKey, type RoomState, type StoredMessage } from '../../src/core/state.js';
import type { UiRuntime, UiSnapshot, UiStore } from '../../src/ui/types.js';

/**
 * Test doubles for component tests: a snapshot holder with the store's subscribe/getState contract
 * (same identity until changed, listeners notified on change) and a runtime that records calls.
 * Integration tests with the real SessionStore/ChatRuntime live in app.test.tsx.
 */

export const caps = (over: Partial<Capabilities> = {}): Capabilities => ({
  history: true,
  typingSend: true,
  typingReceive: true,
  presence: true,
  edits: true,
  roomListing: true,
  dms: false,
  join: true,
  readOnly: false,
  moderation: false,
  atMentions: false,
  editOwn: false,
  deleteOwn: false,
  topicSet: false,
  nick: false,
  ...over,
});

let seq = 0;
/** A stored message at `ts` (ms). */
export function msg(over: Partial<StoredMessage> & { text: string }, ts = 1_700_000_000_000 + seq * 1000): StoredMessage {
  seq++;
  const id = over.id ?? `m${seq}`;
  return {
    id,
    room: 'r1',
    author: { id: 'u1', name: 'jane' },
    ts,
    edited: false,
    deleted: false,
    status: 'sent',
    mention: false,
    kind: 'normal',
    rev: 1,
    ...over,
  };
}

/** A room state. */
export function room(profile: string, id: string, over: Partial<RoomState> = {}): RoomState {
  return {
    key: roomKey(profile, id),
    profile,
    id,
    name: id,
    members: [],
    online: undefined,
    typing: [],
    messages: [],
    unread: 0,
    mentions: 0,
    firstUnread: -1,
    loadingHistory: false,
    hasMoreHistory: false,
    version: 1,
    ...over,
  };
}

/** A mutable snapshot store: `set(fn)` produces a new snapshot and notifies. */
export class TestStore implements UiStore {
  private snap: UiSnapshot;
  private listeners = new Set<() => void>();
  active: string | undefined;
  cleared: string[] = [];
  constructor(init: Partial<UiSnapshot> = {}) {
    this.snap = { version: 1, profiles: {}, rooms: {}, roomOrder: [], notices: [], ...init };
  }
  getState(): UiSnapshot {
    return this.snap;
  }
  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(fn: (s: UiSnapshot) => Partial<UiSnapshot>): void {
    this.snap = { ...this.snap, ...fn(this.snap), version: this.snap.version + 1 };
    for (const l of this.listeners) l();
  }
  /** Replaces one room (new object, as the real store does). */
  setRoom(key: string, fn: (r: RoomState) => Partial<RoomState>): void {
    this.set((s) => {
      const r = s.rooms[key];
      if (!r) throw new Error(`no room ${key}`);
      return { rooms: { ...s.rooms, [key]: { ...r, ...fn(r), version: r.version + 1 } } };
    });
  }
  addRoom(r: RoomState): void {
    this.set((s) => ({ rooms: { ...s.rooms, [r.key]: r }, roomOrder: [...s.roomOrder, r.key] }));
  }
  setActiveRoom(key: string | undefined): void {
    this.active = key;
  }
  clearRoom(key: string): void {
    this.cleared.push(key);
  }
}

/** A runtime double that records calls. */
export class TestRuntime implements UiRuntime {
  sent: { key: string; text: string }[] = [];
  typing: { key: string; on: boolean }[] = [];
  retried: string[] = [];
  reconnects: (string | undefined)[] = [];
  older: string[] = [];
  joined: { profile: string; ref: string }[] = [];
  started = 0;
  stopped = 0;
  constructor(readonly store: TestStore) {}
  async start(): Promise<void> {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  send(key: string, text: string): string {
    this.sent.push({ key, text });
    return `txn${this.sent.length}`;
  }
  retry(key: string): boolean {
    this.retried.push(key);
    return true;
  }
  discarded: { key: string; txnId: string }[] = [];
  discard(key: string, txnId: string): boolean {
    this.discarded.push({ key, txnId });
    this.store.setRoom(key, (r) => ({ messages: r.messages.filter((m) => m.txnId !== txnId) }));
    return true;
  }
  capabilities(profile: string): Capabilities {
    return this.store.getState().profiles[profile]?.capabilities ?? caps();
  }
  reconnectNow(profile?: string): void {
    this.reconnects.push(profile);
  }
  async loadOlder(key: string): Promise<void> {
    this.older.push(key);
  }
  setTyping(key: string, on: boolean): void {
    this.typing.push({ key, on });
  }
  async join(profile: string, ref: string): Promise<string> {
    this.joined.push({ profile, ref });
    const key = roomKey(profile, ref);
    this.store.addRoom(room(profile, ref));
    return key;
  }
  async part(): Promise<void> {}
  async dm(_p: string, user: string): Promise<string> {
    return `DM with ${user} requested`;
  }
  readonly moderated: { key: string; action: ModerationAction }[] = [];
  async moderate(key: string, action: ModerationAction): Promise<void> {
    this.moderated.push({ key, action });
  }
  readonly edited: { key: string; id: string; text: string }[] = [];
  async editMessage(key: string, id: string, text: string): Promise<void> {
    this.edited.push({ key, id, text });
  }
  readonly topics: { key: string; topic: string }[] = [];
  async setTopic(key: string, topic: string): Promise<void> {
    this.topics.push({ key, topic });
  }
  readonly nicks: { profile: string; name: string }[] = [];
  async setNick(profile: string, name: string): Promise<void> {
    this.nicks.push({ profile, name });
  }
  readonly deleted: { key: string; id: string }[] = [];
  async deleteMessage(key: string, id: string): Promise<void> {
    this.deleted.push({ key, id });
  }
}

/** A store with one profile `demo` and rooms `general`, `random` (capabilities overridable). */
export function demoState(over: { caps?: Partial<Capabilities>; me?: UserRef; state?: 'connected' | 'reconnecting' | 'failed' | 'offline' } = {}): TestStore {
  const st = new TestStore();
  st.set(() => ({
    profiles: {
      demo: { name: 'demo', service: 'chatapi', state: over.state ?? 'connected', capabilities: caps(over.caps), me: over.me ?? { id: 'me', name: 'me' } },
    },
  }));
  st.addRoom(room('demo', 'general'));
  st.addRoom(room('demo', 'random'));
  return st;
}
