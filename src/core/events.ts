/**
 * Protocol-agnostic chat events: the only thing a connector emits and the exact shape the headless
 * `--json` output prints (one object a line). Source: ../shared/conformance/README.md, "Events".
 * Times are ISO 8601 strings in UTC (`2021-01-08T05:03:44.000Z`); room and message ids are strings.
 */

/** A user as the service names it. `id` is the service's user id as a string; `name` is display text (sanitised). */
export interface UserRef {
  id: string;
  name: string;
}

/** A chat message. `time` is ISO 8601 UTC. `edited` only when the message was edited. */
export interface MessageEvent {
  type: 'message';
  profile: string;
  room: string;
  id: string;
  author: UserRef;
  text: string;
  time: string;
  edited?: true;
  replyTo?: string;
  /** Client transaction id of our own send, when the server's copy can be matched to it (not printed by --json). */
  txnId?: string;
  /** User ids the service says are mentioned (e.g. a notification's target); the store also scans the text. */
  mentions?: string[];
  /** `notice`-like messages (follow, subscription, system): rendered dimmed, not counted as unread mentions. */
  kind?: 'normal' | 'system';
  /** Read from the local archive, not (yet) from the server (not printed by --json). */
  archived?: true;
}

/** An edit of a known message: new `text`, `time` ISO UTC of the edit. */
export interface MessageEditEvent {
  type: 'message.edit';
  profile: string;
  room: string;
  id: string;
  text: string;
  time: string;
}

/** A message was deleted; the store keeps a "message deleted" placeholder. */
export interface MessageDeleteEvent {
  type: 'message.delete';
  profile: string;
  room: string;
  id: string;
}

/** Someone started (`typing: true`) or stopped typing in a room. */
export interface TypingEvent {
  type: 'typing';
  profile: string;
  room: string;
  user: UserRef;
  typing: boolean;
}

/** The whole online list of a room after each change. */
export interface PresenceEvent {
  type: 'presence';
  profile: string;
  room: string;
  online: UserRef[];
}

/** Connection states of a profile (or one room's socket when `room` is set). */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'failed';

/** A change of connection state. `retryAt` (ISO UTC) is when the next attempt is due, while reconnecting. */
export interface ConnectionEvent {
  type: 'connection';
  profile: string;
  state: ConnectionState;
  reason?: string;
  room?: string;
  retryAt?: string;
}

/** Error codes of the contract. */
export type ErrorCode = 'auth' | 'not_found' | 'forbidden' | 'rate_limited' | 'protocol' | 'network' | 'read_only';

/** Something failed; `message` is one sanitised line with no secret in it. */
export interface ErrorEvent {
  type: 'error';
  profile: string;
  code: ErrorCode;
  message: string;
  room?: string;
}

/** Human information from the service or the connector (stream went live, DM requested, …). */
export interface NoticeEvent {
  type: 'notice';
  profile: string;
  text: string;
  room?: string;
}

/** Messages may have been missed in `room` and the service cannot backfill them. */
export interface GapEvent {
  type: 'gap';
  profile: string;
  room: string;
}

/** Room metadata learned from the service (name, topic, members, live state). Not printed by `tail`. */
export interface RoomEvent {
  type: 'room';
  profile: string;
  room: string;
  name?: string;
  topic?: string;
  members?: UserRef[];
  /** Live-stream state for services that have one (glimesh): shown in the room header. */
  live?: boolean;
}

/** Every event a connector may emit. */
export type ChatEvent =
  | MessageEvent
  | MessageEditEvent
  | MessageDeleteEvent
  | TypingEvent
  | PresenceEvent
  | ConnectionEvent
  | ErrorEvent
  | NoticeEvent
  | GapEvent
  | RoomEvent;

/** Distributive `Omit` so that a union keeps its discriminant. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as a connector emits it: the profile name is added by the runtime. */
export type ConnectorEvent = DistributiveOmit<ChatEvent, 'profile'>;
