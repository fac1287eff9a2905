import { toChatError } from '../errors.js';
import type { ChatError } from '../errors.js';
import type { ConnectorEvent, ChatEvent } from '../events.js';
import type { NamedProfile } from '../profile.js';
import { Backoff } from '../reconnect.js';
import { sanitizeLine } from '../sanitize.js';
import { roomKey } from '../state.js';
import { errText, NONE, redact, safe } from './context.js';
import type { ProfileRun, RuntimeContext } from './context.js';
import { catchUpArchived, recordEvent, warmRoom } from './archive.js';
import { kick } from './pump.js';

/**
 * The profiles' lifecycle: one connector session per profile — created with its token, connected,
 * its events applied to the store and handed to listeners, its rooms taken into the store (resolving
 * configured placeholders), marked failed with one error line, and closed at stop.
 */

/** A profile's run before start: its connector looked up (undefined for an unknown service), nothing connected. */
export function newRun(c: RuntimeContext, profile: NamedProfile): ProfileRun {
  return {
    profile,
    def: safe(() => c.opts.getConnector(profile.service)),
    session: undefined,
    token: undefined,
    pumping: false,
    backoff: new Backoff(c.opts.backoff ?? {}),
    connected: false,
    wake: undefined,
    pauseKind: undefined,
    gen: 0,
    parted: new Set(),
  };
}

/** Shows a run's profile, our user on it and its configured rooms in the store (before connecting). */
export function showProfile(c: RuntimeContext, run: ProfileRun): void {
  const p = run.profile;
  c.store.addProfile(p.name, p.service, run.def?.capabilities ?? NONE);
  if (p.userId || p.userName) c.store.setMe(p.name, { id: p.userId ?? p.userName ?? '', name: p.userName ?? p.userId ?? '' });
  for (const room of p.rooms ?? []) {
    c.store.addRoom(p.name, { id: room, name: room });
    warmRoom(c, p.name, room);
  }
}

/**
 * Resolves the token, creates the session and connects it. Never throws: an unknown service, a
 * token that cannot be resolved or a connect that rejects makes the profile `failed` (one error line).
 */
export async function startProfile(c: RuntimeContext, run: ProfileRun): Promise<void> {
  const name = run.profile.name;
  if (!run.def) {
    fail(c, run, 'protocol', `unknown service "${sanitizeLine(run.profile.service)}"`);
    return;
  }
  try {
    run.token = await c.opts.resolveToken(run.profile);
  } catch (err) {
    fail(c, run, 'auth', redact(run, errText(err)));
    return;
  }
  if (c.stopped) return;
  const gen = run.gen;
  try {
    run.session = run.def.create({
      profile: run.profile,
      token: run.token,
      emit: (ev) => {
        if (!c.stopped && run.gen === gen) dispatch(c, run, ev);
      },
      saveProfile: (patch) => c.opts.saveProfile(name, patch),
    });
  } catch (err) {
    fail(c, run, toChatError(err).code, redact(run, errText(err)));
    return;
  }
  c.store.addProfile(name, run.profile.service, run.session.capabilities);
  populateRooms(c, run);
  if (c.store.getState().profiles[name]?.state !== 'connecting') dispatch(c, run, { type: 'connection', state: 'connecting' });
  try {
    await run.session.connect(c.abort.signal);
  } catch (err) {
    if (c.stopped || run.gen !== gen) return;
    const e = toChatError(err);
    fail(c, run, e.code, redact(run, e.message));
    return;
  }
  if (c.stopped || run.gen !== gen) return;
  const me = safe(() => run.session?.me?.());
  if (me) c.store.setMe(name, me);
  populateRooms(c, run);
  if (c.store.getState().profiles[name]?.state !== 'connected') dispatch(c, run, { type: 'connection', state: 'connected' });
  run.connected = true;
  kick(c, run);
  void catchUpArchived(c, run);
}

/**
 * Starts a run's profile again from `profile` (read again from the config): the old session is
 * dropped (its late events are ignored) and closed, the token resolved again and a new session
 * connected. Rooms and messages stay in the store. Never throws (failures are the profile's state).
 */
export async function restartProfile(c: RuntimeContext, run: ProfileRun, profile: NamedProfile): Promise<void> {
  const old = run.session;
  run.gen++;
  run.session = undefined;
  run.connected = false;
  run.token = undefined;
  run.profile = profile;
  run.def = safe(() => c.opts.getConnector(profile.service));
  run.backoff.reset();
  run.wake?.();
  void old?.disconnect().catch(() => undefined);
  showProfile(c, run);
  dispatch(c, run, { type: 'connection', state: 'connecting' });
  await startProfile(c, run);
}

/** Closes a run's session (best effort). */
export async function closeProfile(run: ProfileRun): Promise<void> {
  try {
    await run.session?.disconnect();
  } catch {
    // closing is best effort
  }
}

/** An event of a profile: applied to the store, handed to listeners; a `connected` kicks the outbox. */
export function dispatch(c: RuntimeContext, run: ProfileRun, ev: ConnectorEvent): void {
  const name = run.profile.name;
  // A parted room's socket closing is not a connection state of the profile.
  if (ev.type === 'connection' && ev.room !== undefined && run.parted.has(ev.room)) return;
  const full = { ...ev, profile: name } as ChatEvent;
  let info: { isNew: boolean };
  try {
    info = c.store.apply(full);
  } catch (err) {
    // Remote input never crashes the client.
    c.store.addNotice(name, 'error', `dropped an event: ${errText(err)}`);
    return;
  }
  recordEvent(c, full);
  if (full.type === 'connection' && full.room === undefined) {
    run.connected = full.state === 'connected';
  } else if (full.type === 'connection') {
    run.connected = c.store.getState().profiles[name]?.state === 'connected';
  }
  // A room event may mean the session knows more rooms now (DMs, discovered rooms): take them all.
  if (full.type === 'room') populateRooms(c, run);
  if (full.type === 'connection' && run.connected) {
    populateRooms(c, run);
    const me = safe(() => run.session?.me?.());
    if (me) c.store.setMe(name, me);
    kick(c, run, true);
  }
  for (const l of [...c.listeners]) {
    try {
      l(full, info);
    } catch {
      // a listener's failure must not break the event flow
    }
  }
}

/** The key a caller's room key stands for now (a removed placeholder's resolved room), else itself. */
export function resolveKey(c: RuntimeContext, key: string): string {
  return c.aliases.get(key) ?? key;
}

/**
 * Takes the session's rooms into the store. A configured room given by name (a Glimesh streamer
 * username, say) was shown under that name before connecting; once the session knows it by its id,
 * the empty placeholder is dropped and the user keeps their place (the active room moves along).
 */
function populateRooms(c: RuntimeContext, run: ProfileRun): void {
  const rooms = safe(() => run.session?.rooms()) ?? [];
  const name = run.profile.name;
  for (const r of rooms) {
    c.store.addRoom(name, r);
    warmRoom(c, name, r.id);
  }
  const ids = new Set(rooms.map((r) => r.id));
  const state = c.store.getState();
  for (const ref of run.profile.rooms ?? []) {
    if (ids.has(ref)) continue;
    const resolved = rooms.find((r) => r.name.toLowerCase() === ref.toLowerCase());
    const placeholder = state.rooms[roomKey(name, ref)];
    if (!resolved || !placeholder || placeholder.messages.some((m) => m.kind === 'normal')) continue;
    const wasActive = c.store.getActiveRoom() === placeholder.key;
    c.aliases.set(placeholder.key, roomKey(name, resolved.id));
    c.store.removeRoom(placeholder.key);
    if (wasActive) c.store.setActiveRoom(roomKey(name, resolved.id));
  }
}

/** Marks a profile failed with an error event (`message` must already be free of secrets). */
function fail(c: RuntimeContext, run: ProfileRun, code: ChatError['code'], message: string): void {
  run.connected = false;
  dispatch(c, run, { type: 'connection', state: 'failed', reason: message });
  // The connector may already have reported the same error: one notice line is enough.
  const notices = c.store.getState().notices;
  const last = notices[notices.length - 1];
  if (last && last.profile === run.profile.name && last.text === message) return;
  dispatch(c, run, { type: 'error', code, message });
}
