import type { MessageEvent } from '../core/events.js';
import type { Capabilities, ModerationAction } from '../core/connector.js';
import type { StoreSnapshot } from '../core/store/index.js';

/**
 * What the TUI needs from the session store and the runtime, as structural types taken from the
 * agreed API (/work/brief/api.md: `SessionStore`, `StoreSnapshot`, `ChatRuntime`). The real
 * `ChatRuntime` (src/core/runtime/) satisfies `UiRuntime`; component tests may pass the real
 * runtime or any object with these members.
 */

/** The store snapshot (`StoreSnapshot`): same identity until something changes. */
export type UiSnapshot = StoreSnapshot;

/** The part of `SessionStore` the UI uses. */
export interface UiStore {
  getState(): UiSnapshot;
  subscribe(listener: () => void): () => void;
  setActiveRoom(roomKey: string | undefined): void;
  clearRoom(roomKey: string): void;
  /** Restores the read markers of an earlier run (SessionStore.restoreReadMarkers); absent: not kept. */
  restoreReadMarkers?(markers: Readonly<Record<string, { id: string; ts: number }>>): void;
}

/** The part of `ChatRuntime` the UI uses. */
export interface UiRuntime {
  readonly store: UiStore;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Returns the txnId; the pending echo appears in the store at once. */
  send(roomKey: string, text: string): string;
  retry(roomKey: string, txnId?: string): boolean;
  /** Drops a failed or queued send (outbox and room) for good; false when it cannot be (sending, unknown). */
  discard(roomKey: string, txnId: string): boolean;
  capabilities(profile: string): Capabilities;
  reconnectNow(profile?: string): void;
  loadOlder(roomKey: string): Promise<void>;
  setTyping(roomKey: string, typing: boolean): void;
  join(profile: string, ref: string): Promise<string>;
  part(roomKey: string): Promise<void>;
  dm(profile: string, user: string): Promise<string>;
  moderate(roomKey: string, action: ModerationAction): Promise<void>;
  /** Searches the local archive, newest first; undefined without one (ChatRuntime.searchArchive). */
  searchArchive?(text: string, opts?: { profile?: string; room?: string; limit?: number }): MessageEvent[] | undefined;
  /** Older archived messages a search index rebuild has yet to index (ChatRuntime.archiveSearchRebuildLeft). */
  archiveSearchRebuildLeft?(): number;
  /** Puts a search hit in its room with archived messages around it (ChatRuntime.showArchived). */
  showArchived?(msg: MessageEvent, around?: number): boolean;
  /** Edits our own message (capability `editOwn`); rejects with a ChatError. */
  editMessage(roomKey: string, id: string, text: string): Promise<void>;
  /** Deletes our own message (capability `deleteOwn`); rejects with a ChatError. */
  deleteMessage(roomKey: string, id: string): Promise<void>;
  /** Sets the room's topic (capability `topicSet`); rejects with a ChatError. */
  setTopic(roomKey: string, topic: string): Promise<void>;
  /** Changes the profile's display name, saved to the config (capability `nick`); rejects with a ChatError. */
  setNick(profile: string, name: string): Promise<void>;
}

/** Options of the TUI beyond the runtime (all optional; defaults in parentheses). */
export interface UiOptions {
  /** Time pattern for the pane (`HH:mm`), see format.ts. */
  timeFormat?: string;
  /** Ring the terminal bell on a mention in a room that is not shown (true). */
  bell?: boolean;
  /** Desktop notification through the terminal (OSC 9) on a mention in a room that is not shown (false). */
  notify?: boolean;
  /** Mouse wheel / click support (false). */
  mouse?: boolean;
  /** Title in the status line (`chat-tui`). */
  title?: string;
  /** Key rebinding: action name → key id (`C-g`, `M-up`, `f1` …, see keys.ts `keyId`). */
  keys?: Record<string, string | string[]>;
  /** The last room and the room order across restarts (none: forgotten at quit). */
  memory?: UiMemoryStore;
}

/** What the TUI remembers across restarts: the room shown last and the room list's order (room keys). */
export interface UiMemory {
  lastRoom?: string;
  roomOrder?: string[];
  /** Room key → the composer's unsent text. */
  drafts?: Record<string, string>;
  /** Room key → the lines sent there, oldest first (Up/Down, Ctrl-R). */
  sent?: Record<string, string[]>;
  /** Room key → the last message read there (id, server time in ms), least recently read first. */
  readMarkers?: Record<string, { id: string; ts: number }>;
}

/** Where {@link UiMemory} is kept (the CLI: a file in the state directory, written atomically). */
export interface UiMemoryStore {
  /** What was remembered ({} when nothing, or when it cannot be read). Never throws. */
  load(): UiMemory;
  /** Remembers the fields of `m` (the others stay as they were). Never throws (a failed write only forgets). */
  save(m: UiMemory): void;
}
