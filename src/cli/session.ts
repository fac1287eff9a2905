import type { ConnectorDefinition, ConnectorSession, RoomInfo } from '../core/connector.js';
import { ChatError, UsageError, toChatError } from '../core/errors.js';
import type { ChatEvent, ErrorEvent } from '../core/events.js';
import type { NamedProfile } from '../core/profile.js';
import { registerProfileSecrets, resolveToken } from '../config/secrets.js';
import { validateProfile } from '../config/validate.js';
import { connectors, getConnector } from '../connectors/index.js';
import { config } from './config.js';

/**
 * Connector sessions for the headless commands: the CLI talks to a connector directly
 * through the registry, without the runtime/store/TUI.
 */

/** A profile loaded, validated and with its credential resolved, plus its connector. */
export interface LoadedProfile {
  profile: NamedProfile;
  def: ConnectorDefinition;
  token: string | undefined;
}

/** Default time limit for the first connection of a one-shot command (rooms, history, send, dm, doctor), ms. */
export const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Loads profile `name` from the config, applies `rooms` (the command's `--room` values replace the
 * profile's rooms when given), validates it (UsageError → exit 2) and resolves its token
 * (UsageError/ChatError). Secrets are registered for redaction.
 */
export async function loadProfile(name: string, opts: { rooms?: string[] | undefined } = {}): Promise<LoadedProfile> {
  const stored = config().require(name);
  registerProfileSecrets(stored);
  const profile: NamedProfile = opts.rooms && opts.rooms.length ? { ...stored, rooms: [...opts.rooms] } : stored;
  const def = validateProfile(profile, getConnector, connectors.map((c) => c.id));
  const token = await resolveToken(profile);
  return { profile, def, token };
}

/** A session together with the events it emitted (full ChatEvents, `profile` added). */
export interface OpenSession extends LoadedProfile {
  session: ConnectorSession;
  /** The last error event the session emitted, if any. */
  lastError(): ErrorEvent | undefined;
  /**
   * Connects with a time limit in ms (0 = none); rejects with ChatError (the session's own error when it
   * said one). With `failFast` (default true: one-shot commands) the first `reconnecting` state before
   * the connection is up ends it at once with the reason (a server that is down fails now, not after
   * the time limit); `tail` passes false and keeps retrying.
   */
  connect(timeoutMs?: number, failFast?: boolean): Promise<void>;
  /** Disconnects (at most `ms`, default 3 s) — never throws. */
  close(ms?: number): Promise<void>;
}

/**
 * Creates a connector session for a loaded profile. `onEvent` gets every event with `profile` set.
 * `saveProfile` patches the stored profile (not the `--room`-overridden copy).
 */
export function createSession(loaded: LoadedProfile, onEvent: (ev: ChatEvent) => void = () => {}): OpenSession {
  const { profile, def, token } = loaded;
  let lastError: ErrorEvent | undefined;
  let watch: ((ev: ChatEvent) => void) | undefined;
  const abort = new AbortController();
  const emit = (ev: Parameters<Parameters<ConnectorDefinition['create']>[0]['emit']>[0]): void => {
    const full = { ...ev, profile: profile.name } as ChatEvent;
    if (full.type === 'error') lastError = full;
    watch?.(full);
    try {
      onEvent(full);
    } catch {
      // a printing failure (EPIPE) must not break the connector
    }
  };
  let session: ConnectorSession;
  try {
    session = def.create({
      profile,
      token,
      emit,
      saveProfile: async (patch) => {
        registerProfileSecrets(patch);
        config().update(profile.name, patch);
      },
    });
  } catch (err) {
    if (err instanceof UsageError || err instanceof ChatError) throw err;
    throw toChatError(err);
  }
  let closed = false;
  return {
    ...loaded,
    session,
    lastError: () => lastError,
    async connect(timeoutMs = CONNECT_TIMEOUT_MS, failFast = true) {
      let timer: NodeJS.Timeout | undefined;
      const stop = new Promise<never>((_, reject) => {
        if (failFast) {
          watch = (ev) => {
            if (ev.type !== 'connection' || ev.state !== 'reconnecting') return;
            const said = lastError;
            reject(said ? new ChatError(said.code, said.message) : new ChatError('network', ev.reason ?? 'could not connect'));
          };
        }
        if (timeoutMs <= 0) return;
        timer = setTimeout(() => {
          const said = lastError;
          reject(said ? new ChatError(said.code, said.message) : new ChatError('network', `could not connect within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      });
      try {
        await Promise.race([session.connect(abort.signal), stop]);
      } catch (err) {
        throw err instanceof UsageError ? err : toChatError(err);
      } finally {
        clearTimeout(timer);
        watch = undefined;
      }
    },
    async close(ms = 3000) {
      if (closed) return;
      closed = true;
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.resolve()
          .then(() => session.disconnect())
          .catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/**
 * Finds the room a user named: an id of the session's rooms, else a room whose name matches
 * (case-insensitive), else the connector's `resolveRoom`, else the reference as given.
 */
export async function findRoom(s: OpenSession, ref: string): Promise<string> {
  const rooms: RoomInfo[] = safeRooms(s.session);
  if (rooms.some((r) => r.id === ref)) return ref;
  const byName = rooms.find((r) => r.name.toLowerCase() === ref.toLowerCase());
  if (byName) return byName.id;
  if (s.session.resolveRoom) {
    try {
      return (await s.session.resolveRoom(ref)).id;
    } catch (err) {
      throw err instanceof UsageError ? err : toChatError(err);
    }
  }
  return ref;
}

/** `session.rooms()` that never throws. */
export function safeRooms(session: ConnectorSession): RoomInfo[] {
  try {
    return session.rooms();
  } catch {
    return [];
  }
}

/** The room for a one-room command: `--room`, else the profile's only room; UsageError otherwise. */
export function pickRoom(profile: NamedProfile, room: string | undefined, command: string): string {
  if (room) return room;
  if (profile.rooms && profile.rooms.length === 1 && profile.rooms[0]) return profile.rooms[0];
  throw new UsageError(`${command}: give --room ROOM (profile "${profile.name}" has ${profile.rooms?.length ? `${profile.rooms.length} rooms` : 'no rooms'})`);
}
