import type { Capabilities, ConnectorDefinition, ConnectorSession } from '../connector.js';
import type { ChatEvent, UserRef } from '../events.js';
import type { NamedProfile, Profile } from '../profile.js';
import type { Backoff, BackoffOptions } from '../reconnect.js';
import { redactText, secretForms } from '../redact.js';
import { sanitizeLine } from '../sanitize.js';
import { NO_CAPABILITIES } from '../store/index.js';
import type { SessionStore } from '../store/index.js';
import type { RuntimeArchive } from './archive.js';
import type { OutboxStore } from './outbox.js';

/** The runtime's options and the state its parts (profiles' lifecycle, outbox pump) share. */

/** Options of `ChatRuntime`. */
export interface RuntimeOptions {
  profiles: NamedProfile[];
  /** The connector of a service id (the CLI passes the registry of src/connectors; the core knows none). */
  getConnector(id: string): ConnectorDefinition | undefined;
  /** Turns a profile's secret reference into the token (undefined when it has none). May throw UsageError/ChatError. */
  resolveToken(p: NamedProfile): Promise<string | undefined>;
  /** Persists profile changes a connector asks for (refreshed token, learnt user id). */
  saveProfile(name: string, patch: Partial<Profile>): Promise<void>;
  /**
   * Reads a profile again from where it is kept (the CLI: the config file), for a reconnect the user
   * asked for (`reconnectNow`), so a fixed token or URL works without a restart. Returns undefined when
   * the profile is gone; throws (UsageError/ChatError, one line) when it no longer validates. Omitted:
   * a reconnect keeps the profile as it was.
   */
  loadProfile?(name: string): NamedProfile | undefined | Promise<NamedProfile | undefined>;
  /** Outbox persistence: `<stateDir>/outbox.json` (mode 0600, dir 0700). Omitted = in memory only. Ignored with `outbox`. */
  stateDir?: string;
  /** The outbox to use instead of the JSON file in `stateDir` (another store of pending sends). */
  outbox?: OutboxStore;
  /** The local archive: records what the store sees, fills rooms and scrollback (archive.ts). Omitted = none. */
  archive?: RuntimeArchive;
  store?: SessionStore;
  /** Outbox retry timing (tests use small values); defaults: the core Backoff. */
  backoff?: BackoffOptions;
  /** Delivery attempts (network/protocol errors) before a send becomes failed (default 5). */
  maxSendAttempts?: number;
  /** Rate-limit waits for one send before it becomes failed (default 50): rate limits slow down, they don't lose. */
  maxRateLimitWaits?: number;
}

/** Per-profile runtime state. */
export interface ProfileRun {
  profile: NamedProfile;
  def: ConnectorDefinition | undefined;
  session: ConnectorSession | undefined;
  token: string | undefined;
  pumping: boolean;
  backoff: Backoff;
  connected: boolean;
  /** Ends the pump's current pause early (stop; a reconnect ends a network-retry pause). */
  wake: (() => void) | undefined;
  /** What the current pause waits for: a rate limit is never cut short except by stop(). */
  pauseKind: 'network' | 'rate' | undefined;
  /** Which session of the run this is (a reload starts a new one; events of an older one are dropped). */
  gen: number;
  /** Rooms closed with `part`: their per-room connection events no longer count for the profile. */
  parted: Set<string>;
}

/** What the parts of the runtime share. */
export interface RuntimeContext {
  readonly opts: RuntimeOptions;
  readonly store: SessionStore;
  readonly outbox: OutboxStore;
  readonly runs: Map<string, ProfileRun>;
  readonly listeners: Set<(ev: ChatEvent, info: { isNew: boolean }) => void>;
  /** Aborts connects in progress at stop. */
  readonly abort: AbortController;
  /** Room keys of placeholders (a configured room given by name) → the key of the room they resolved to. */
  readonly aliases: Map<string, string>;
  readonly maxSendAttempts: number;
  readonly maxRateLimitWaits: number;
  stopped: boolean;
}

/** Capabilities of a profile with no usable connector (unknown service): nothing, and no sending. */
export const NONE: Capabilities = { ...NO_CAPABILITIES, readOnly: true, readOnlyReason: 'profile is not usable' };

/** Runs `f`, undefined when it throws (a connector's optional call must not break the runtime). */
export function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The first line of an error's message. */
export function errText(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? 'error') : String(err);
}

/** Our user on a profile for local echoes: the store's, the session's, else the profile's configured id/name. */
export function meOf(c: RuntimeContext, run: ProfileRun): UserRef {
  const me = c.store.getState().profiles[run.profile.name]?.me ?? safe(() => run.session?.me?.());
  if (me) return me;
  return { id: run.profile.userId ?? '', name: run.profile.userName ?? run.profile.userId ?? 'me' };
}

/** The service's display name for a sentence ("Glimesh has no …"). */
export function serviceName(run: ProfileRun | undefined): string {
  return run?.def?.displayName ?? run?.profile.service ?? 'this profile';
}

/** One line of `text` with the profile's token (in every spelling) and echoed credentials replaced (defence in depth: errors must not carry them anyway). */
export function redact(run: ProfileRun | undefined, text: string): string {
  return redactText(sanitizeLine(text), run?.token ? secretForms(run.token) : [], true);
}
