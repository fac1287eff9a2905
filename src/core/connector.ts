import type { ConnectorEvent, MessageEvent, UserRef } from './events.js';
import type { NamedProfile, Profile } from './profile.js';

/**
 * What a service can do. The UI and CLI read these; they never test which service they talk to.
 * The flags of {@link METHOD_CAPABILITIES} are not declared by a connector: they are true exactly
 * when its session implements the method (`capabilitiesOf`). The others ({@link ServiceTraits}) are
 * what the service sends or allows, which no method shows. A session may narrow them for its profile
 * (e.g. glimesh with only a client id is `readOnly`).
 */
export interface Capabilities {
  /** `history(room, …)` works and reconnects backfill; false → a `gap` event after reconnects. */
  history: boolean;
  /**
   * Most messages one `history` call returns (the server's cap of one request, e.g. 1000 for glimesh);
   * the core pages for more (src/core/history.ts). Undefined: one call returns any number asked for.
   */
  historyPageSize?: number;
  /** We can send typing indicators / we receive other users' typing. */
  typingSend: boolean;
  typingReceive: boolean;
  /** Online lists (`presence` events). */
  presence: boolean;
  /** Message edits and deletes arrive as events. */
  edits: boolean;
  /** `listRooms()` lists the account's rooms. */
  roomListing: boolean;
  /** `createDm(user)` exists. */
  dms: boolean;
  /** `joinRoom`/`partRoom` exist (open another room at run time, e.g. `/join`). */
  join: boolean;
  /** No sending at all (reason in `readOnlyReason`). */
  readOnly: boolean;
  readOnlyReason?: string;
  /** Moderation commands (`moderate`) are available for this account. */
  moderation: boolean;
  /** Mentions are written with `@` before the name in this service. */
  atMentions: boolean;
  /** Max length of a message in graphemes, when the service has one. */
  maxMessageLength?: number;
  /** `editMessage` exists: our own sent messages can be edited (`/edit`). */
  editOwn: boolean;
  /** `deleteMessage` exists: our own sent messages can be deleted (`/delete`). */
  deleteOwn: boolean;
  /** `setTopic` exists: the room's topic can be set (`/topic TEXT`; the server may still refuse). */
  topicSet: boolean;
  /** `setNick` exists: the profile's display name can change (`/nick NAME`). */
  nick: boolean;
}

/** The capability flags that are methods of a session: flag → the method that implements it. */
export const METHOD_CAPABILITIES = {
  history: 'history',
  typingSend: 'setTyping',
  roomListing: 'listRooms',
  dms: 'createDm',
  join: 'joinRoom',
  moderation: 'moderate',
  editOwn: 'editMessage',
  deleteOwn: 'deleteMessage',
  topicSet: 'setTopic',
  nick: 'setNick',
} as const satisfies Partial<Record<keyof Capabilities, keyof ConnectorSession>>;

/** A capability that a method of the session implements. */
export type MethodCapability = keyof typeof METHOD_CAPABILITIES;

/** What a service says about itself that no method shows (what it sends, what it allows). */
export type ServiceTraits = Omit<Capabilities, MethodCapability>;

/**
 * The capabilities of `impl` (a session, or a session class's prototype for the static definition):
 * each method capability is true exactly when `impl` has that method, unless `off` turns it off for
 * this profile (e.g. `{ typingSend: false }` when the profile says not to send typing); the traits are
 * taken as given.
 */
export function capabilitiesOf(impl: object, traits: ServiceTraits, off: Partial<Record<MethodCapability, false>> = {}): Capabilities {
  const has = (cap: MethodCapability): boolean => off[cap] !== false && typeof (impl as Record<string, unknown>)[METHOD_CAPABILITIES[cap]] === 'function';
  return {
    ...traits,
    history: has('history'),
    typingSend: has('typingSend'),
    roomListing: has('roomListing'),
    dms: has('dms'),
    join: has('join') && typeof (impl as { partRoom?: unknown }).partRoom === 'function',
    moderation: has('moderation'),
    editOwn: has('editOwn'),
    deleteOwn: has('deleteOwn'),
    topicSet: has('topicSet'),
    nick: has('nick'),
  };
}

/** A room as a connector knows it. `id` is the service's room id as a string. */
export interface RoomInfo {
  id: string;
  name: string;
  topic?: string;
  members?: UserRef[];
  live?: boolean;
}

/** Options of `history`: `before` is a message id (older than it), `limit` a count; results oldest first. */
export interface HistoryOptions {
  before?: string;
  limit: number;
}

/** Moderation actions (glimesh and any future service that has them). */
export type ModerationAction =
  | { kind: 'delete'; messageId: string }
  | { kind: 'timeout'; user: string }
  | { kind: 'ban'; user: string }
  | { kind: 'unban'; user: string };

/**
 * What the runtime gives a connector session.
 * - `emit` delivers events (the runtime adds `profile`). Every string in them must already be
 *   sanitised with `sanitize()` from src/core/sanitize.ts.
 * - `token` is the resolved secret (undefined when the profile has none). Never log or print it.
 * - `saveProfile` persists changes (a refreshed token, our user id) to the config file.
 */
export interface ConnectorContext {
  profile: NamedProfile;
  token: string | undefined;
  emit(event: ConnectorEvent): void;
  saveProfile(patch: Partial<Profile>): Promise<void>;
}

/**
 * One live connection to one profile's account. Lifecycle: `connect(signal)` → events via `emit` →
 * `disconnect()`. A session reconnects by itself (the kit's `ReconnectingLink`, src/core/connection/)
 * until `disconnect()` or the signal aborts, emitting `connection` events; after a reconnect it
 * backfills (services with history) or emits `gap` (services without), through the kit's `CatchUp`.
 */
export interface ConnectorSession {
  /** Capabilities of this session (the definition's, narrowed for this profile). */
  readonly capabilities: Capabilities;
  /**
   * Opens the connection(s) for the profile's rooms. Resolves once connected (first `connected`
   * event); rejects with a ChatError when the first attempt fails for a non-retryable reason (auth,
   * not_found, forbidden). Retryable failures keep retrying in the background.
   */
  connect(signal: AbortSignal): Promise<void>;
  /** Closes everything; no more events after it resolves. Idempotent. */
  disconnect(): Promise<void>;
  /** Drop the current connection(s) and reconnect now (the TUI's "reconnect now" key). */
  reconnectNow(): void;
  /**
   * Sends `text` to `room`. Resolves with the server's copy of the message once the server has it
   * (ack, echo, or HTTP response — whatever the service gives), with `txnId` set. Rejects with
   * ChatError (`read_only`, `auth`, `forbidden`, `rate_limited`, `network`, `protocol`).
   */
  send(room: string, text: string, txnId: string): Promise<MessageEvent>;
  /** Rooms of this session (after connect): the profile's rooms, resolved, plus discovered ones. */
  rooms(): RoomInfo[];
  /** Older messages of a room, oldest first (capability `history`). */
  history?(room: string, opts: HistoryOptions): Promise<MessageEvent[]>;
  /**
   * The room's newest messages as the server has them now (one read, any order), for sessions
   * without `history`: the outbox looks there for a send whose answer never came before it posts
   * it again (src/core/connection/sent-copy.ts). Sessions with `history` need not implement it.
   */
  recentMessages?(room: string): Promise<MessageEvent[]>;
  /** The account's rooms from the server (capability `roomListing`). */
  listRooms?(): Promise<RoomInfo[]>;
  /** Typing indicator on/off for a room (capability `typingSend`). */
  setTyping?(room: string, typing: boolean): void;
  /** Turns a user's room reference (name, username, slug) into the room; throws ChatError not_found. */
  resolveRoom?(ref: string): Promise<RoomInfo>;
  /** Opens / closes another room at run time (capability `join`). */
  joinRoom?(ref: string): Promise<RoomInfo>;
  partRoom?(room: string): Promise<void>;
  /** Starts a DM with a user (capability `dms`); returns a human notice text (e.g. "DM requested; it appears with its first message"). */
  createDm?(user: string): Promise<string>;
  /** Moderation (capability `moderation`). */
  moderate?(room: string, action: ModerationAction): Promise<void>;
  /**
   * Replaces the text of our own message `id` in `room` (capability `editOwn`). Resolves once the
   * server took it, after emitting the `message.edit` event (a pushed copy of it is harmless: the
   * same text again). Rejects with ChatError (`not_found`, `forbidden`, `network`, …).
   */
  editMessage?(room: string, id: string, text: string): Promise<void>;
  /**
   * Deletes our own message `id` in `room` (capability `deleteOwn`). Resolves once the server took it,
   * after emitting the `message.delete` event. Rejects with ChatError.
   */
  deleteMessage?(room: string, id: string): Promise<void>;
  /**
   * Sets the topic of `room` (capability `topicSet`). Resolves once the server took it, after
   * emitting the `room` event with the new topic. Rejects with ChatError (`forbidden` when not allowed).
   */
  setTopic?(room: string, topic: string): Promise<void>;
  /**
   * The profile fields that make `name` our display name on this service (capability `nick`), e.g.
   * `{ userName }`; the runtime saves them to the config and reconnects with them. Throws UsageError
   * for a name the service cannot take.
   */
  setNick?(name: string): Partial<Profile>;
  /** Our own user on this service, when known. */
  me?(): UserRef | undefined;
}

/** A field a profile of this service uses, for `profile add` validation and help. */
export interface ProfileField {
  key: keyof Profile;
  required?: boolean;
  description: string;
}

/** Options of `chat-tui login` passed through to a connector. */
export interface LoginOptions {
  clientId?: string;
  clientSecret?: string;
  mixinToken?: string;
  /** Where to tell the user things (a URL to open, progress). */
  say(line: string): void;
  signal: AbortSignal;
}

/**
 * One service. Registered in src/connectors/index.ts.
 * `validate` throws UsageError (one line) when a profile is unusable (missing site id, credential…).
 */
export interface ConnectorDefinition {
  id: string;
  displayName: string;
  /** Default base URL when the profile has none. */
  defaultUrl?: string;
  capabilities: Capabilities;
  profileFields: ProfileField[];
  validate(profile: Profile): void;
  create(ctx: ConnectorContext): ConnectorSession;
  /**
   * `chat-tui login`: obtains a token and returns the profile fields to store (token, expiry, …).
   * Throws ChatError (auth/network) or UsageError.
   */
  login?(profile: NamedProfile, opts: LoginOptions): Promise<Partial<Profile>>;
  /**
   * `profile add`: what the connector learns from the server once, before a new profile is stored
   * (chatapi: which protocol the server speaks). Returns the fields to store; never throws (a server
   * that cannot be reached now is asked again at connect time).
   */
  probe?(profile: Profile): Promise<Partial<Profile>>;
}
