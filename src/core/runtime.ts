import { randomUUID } from 'node:crypto';
import { getConnector as registryConnector } from '../connectors/index.js';
import type { Capabilities, ConnectorDefinition, ConnectorSession, ModerationAction } from './connector.js';
import { ChatError, toChatError } from './errors.js';
import type { ChatEvent, ConnectorEvent, UserRef } from './events.js';
import { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox.js';
import type { NamedProfile, Profile } from './profile.js';
import { Backoff, sleep } from './reconnect.js';
import type { BackoffOptions } from './reconnect.js';
import { sanitizeLine } from './sanitize.js';
import { redactText, secretForms } from './redact.js';
import { roomKey, splitRoomKey } from './state.js';
import { SessionStore } from './store/index.js';

/**
 * The runtime (issue 3, issue 7 "Outbox"): one connector session per profile, all feeding one
 * SessionStore, plus the outbox that makes sends survive offline periods, rate limits and restarts.
 * The TUI and the CLI talk to this; they never test which service is behind a profile.
 */

/** Options of {@link ChatRuntime}. */
export interface RuntimeOptions {
  profiles: NamedProfile[];
  /** Turns a profile's secret reference into the token (undefined when it has none). May throw UsageError/ChatError. */
  resolveToken(p: NamedProfile): Promise<string | undefined>;
  /** Persists profile changes a connector asks for (refreshed token, learnt user id). */
  saveProfile(name: string, patch: Partial<Profile>): Promise<void>;
  /** Outbox persistence: `<stateDir>/outbox.json` (mode 0600, dir 0700). Omitted = in memory only. */
  stateDir?: string;
  store?: SessionStore;
  /** Connector lookup (default: the registry in src/connectors/index.ts). */
  getConnector?: (id: string) => ConnectorDefinition | undefined;
  /** Outbox retry timing (tests use small values); defaults: the core Backoff. */
  backoff?: BackoffOptions;
  /** Delivery attempts (network/protocol errors) before a send becomes failed (default 5). */
  maxSendAttempts?: number;
  /** Rate-limit waits for one send before it becomes failed (default 50): rate limits slow down, they don't lose. */
  maxRateLimitWaits?: number;
}

/** Per-profile runtime state. */
interface ProfileRun {
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
}

/** Default capabilities for a profile with no usable connector (unknown service). */
const NONE: Capabilities = {
  history: false,
  typingSend: false,
  typingReceive: false,
  presence: false,
  edits: false,
  roomListing: false,
  dms: false,
  join: false,
  readOnly: true,
  readOnlyReason: 'profile is not usable',
  moderation: false,
  atMentions: false,
};

/** Page size of `loadOlder`. */
export const HISTORY_PAGE = 100;

/** Sessions + store + outbox. See the method docs for what each call does while offline. */
export class ChatRuntime {
  /** The store every session feeds (the UI reads it). */
  readonly store: SessionStore;
  private readonly opts: RuntimeOptions;
  private readonly runs = new Map<string, ProfileRun>();
  private readonly listeners = new Set<(ev: ChatEvent, info: { isNew: boolean }) => void>();
  private readonly outbox: Outbox;
  private readonly abort = new AbortController();
  private readonly maxSendAttempts: number;
  private readonly maxRateLimitWaits: number;
  private started = false;
  private stopped = false;

  /**
   * Looks up each profile's connector, adds the profiles and their configured rooms to the store and
   * restores the persisted outbox (reads `<stateDir>/outbox.json` synchronously; problems become
   * notices). Connects nothing: see {@link start}.
   */
  constructor(opts: RuntimeOptions) {
    this.opts = opts;
    this.store = opts.store ?? new SessionStore();
    this.maxSendAttempts = Math.max(1, opts.maxSendAttempts ?? 5);
    this.maxRateLimitWaits = Math.max(0, opts.maxRateLimitWaits ?? 50);
    this.outbox = new Outbox({
      stateDir: opts.stateDir,
      warn: (text) => this.store.addNotice('', 'error', sanitizeLine(text)),
    });
    const getConnector = opts.getConnector ?? registryConnector;
    for (const p of opts.profiles) {
      const def = safe(() => getConnector(p.service));
      this.runs.set(p.name, {
        profile: p,
        def,
        session: undefined,
        token: undefined,
        pumping: false,
        backoff: new Backoff(opts.backoff ?? {}),
        connected: false,
        wake: undefined,
        pauseKind: undefined,
      });
    }
    // The store shows the profiles, their rooms and the restored outbox at once (before start()).
    for (const run of this.runs.values()) {
      this.store.addProfile(run.profile.name, run.profile.service, run.def?.capabilities ?? NONE);
      if (run.profile.userId || run.profile.userName) {
        this.store.setMe(run.profile.name, { id: run.profile.userId ?? run.profile.userName ?? '', name: run.profile.userName ?? run.profile.userId ?? '' });
      }
      for (const room of run.profile.rooms ?? []) this.store.addRoom(run.profile.name, { id: room, name: room });
    }
    this.restoreOutbox();
  }

  /**
   * Creates a session per profile and connects them all concurrently. (The constructor already put
   * the profiles, their configured rooms and the restored outbox in the store: queued entries go out
   * once their profile is connected; failed ones are shown failed.)
   * Never throws: a profile whose service is unknown, whose token cannot be resolved or whose
   * connect rejects becomes `failed` with an `error` event/notice (the error's one-line message,
   * never the token). Resolves when every profile is connected or failed — a profile that keeps
   * retrying keeps it pending, so a UI should not wait for it.
   */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await Promise.all([...this.runs.values()].map((run) => this.startProfile(run)));
  }

  private async startProfile(run: ProfileRun): Promise<void> {
    const name = run.profile.name;
    if (!run.def) {
      this.fail(run, 'protocol', `unknown service "${sanitizeLine(run.profile.service)}"`);
      return;
    }
    try {
      run.token = await this.opts.resolveToken(run.profile);
    } catch (err) {
      this.fail(run, 'auth', this.redact(run, errText(err)));
      return;
    }
    if (this.stopped) return;
    try {
      run.session = run.def.create({
        profile: run.profile,
        token: run.token,
        emit: (ev) => this.handle(run, ev),
        saveProfile: (patch) => this.opts.saveProfile(name, patch),
      });
    } catch (err) {
      this.fail(run, toChatError(err).code, this.redact(run, errText(err)));
      return;
    }
    this.store.addProfile(name, run.profile.service, run.session.capabilities);
    this.populateRooms(run);
    if (this.store.getState().profiles[name]?.state !== 'connecting') this.dispatch(run, { type: 'connection', state: 'connecting' });
    try {
      await run.session.connect(this.abort.signal);
    } catch (err) {
      if (this.stopped) return;
      const e = toChatError(err);
      this.fail(run, e.code, this.redact(run, e.message));
      return;
    }
    if (this.stopped) return;
    const me = safe(() => run.session?.me?.());
    if (me) this.store.setMe(name, me);
    this.populateRooms(run);
    if (this.store.getState().profiles[name]?.state !== 'connected') this.dispatch(run, { type: 'connection', state: 'connected' });
    run.connected = true;
    this.kick(run);
  }

  /** Closes every session and stops the outbox (its state stays persisted). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new ChatError('network', 'stopped'));
    for (const run of this.runs.values()) run.wake?.();
    await Promise.all(
      [...this.runs.values()].map(async (run) => {
        try {
          await run.session?.disconnect();
        } catch {
          // closing is best effort
        }
      }),
    );
    // Entries handed to a connector and not answered are persisted as `sending` → failed on next start.
    this.outbox.save();
    this.store.dispose();
  }

  /** Listens to every event after the store applied it; `isNew` is false for a message id already stored. */
  onEvent(listener: (ev: ChatEvent, info: { isNew: boolean }) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Sends `text` to a room. Returns the client transaction id at once; the message shows as a
   * pending local echo immediately. Read-only rooms and over-long texts fail at once (kept, shown
   * failed with the reason). Otherwise the send goes into the outbox: out now when connected, in
   * order after the next `connected` otherwise; rate limits delay it; a refusal makes it failed.
   * Throws ChatError `not_found` for an unknown profile.
   */
  send(key: string, text: string): string {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    if (!run) throw new ChatError('not_found', `unknown profile "${sanitizeLine(profile)}"`);
    const txnId = randomUUID();
    const author = this.me(run);
    this.store.addLocalEcho(profile, room, txnId, text, author);
    const time = this.store.echoTime(txnId) ?? new Date().toISOString();
    const caps = this.capabilities(profile);
    const refusal = caps.readOnly
      ? caps.readOnlyReason ?? 'this room is read-only'
      : caps.maxMessageLength !== undefined && graphemes(text) > caps.maxMessageLength
        ? `message too long (${graphemes(text)} > ${caps.maxMessageLength} characters)`
        : undefined;
    const entry: OutboxEntry = { txnId, profile, room, text, time, status: refusal ? 'failed' : 'queued', attempts: 0, rateLimited: 0, author };
    if (refusal) {
      entry.error = refusal;
      this.store.failSend(profile, txnId, refusal);
    }
    this.outbox.add(entry);
    if (!refusal) this.kick(run);
    return txnId;
  }

  /**
   * Requeues a failed send: `txnId`, else the newest failed message of the room. It goes out after
   * what is already queued. Returns false when there is nothing to retry.
   */
  retry(key: string, txnId?: string): boolean {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    if (!run) return false;
    let entry: OutboxEntry | undefined;
    if (txnId !== undefined) {
      entry = this.outbox.get(txnId);
      if (entry && (entry.status !== 'failed' || entry.profile !== profile || entry.room !== room)) entry = undefined;
    } else {
      const failed = this.outbox.entries().filter((e) => e.profile === profile && e.room === room && e.status === 'failed');
      entry = failed[failed.length - 1];
    }
    if (!entry) return false;
    this.store.addLocalEcho(profile, room, entry.txnId, entry.text, entry.author ?? this.me(run));
    const caps = this.capabilities(profile);
    if (caps.readOnly) {
      const reason = caps.readOnlyReason ?? 'this room is read-only';
      this.outbox.update(entry.txnId, { status: 'failed', error: reason });
      this.store.failSend(profile, entry.txnId, reason);
      return true;
    }
    this.outbox.update(entry.txnId, { status: 'queued', attempts: 0, rateLimited: 0 });
    this.outbox.moveToEnd(entry.txnId);
    this.kick(run);
    return true;
  }

  /** Drops a failed send from the outbox and from the room. Returns whether it existed. */
  discard(key: string, txnId: string): boolean {
    key = this.resolveKey(key);
    const { profile } = splitRoomKey(key);
    const e = this.outbox.get(txnId);
    if (!e || e.status !== 'failed' || e.profile !== profile) return false;
    this.outbox.remove(txnId);
    this.store.removeLocalEcho(profile, txnId);
    return true;
  }

  /** The outbox entries (a copy), in send order. */
  outboxEntries(): OutboxEntry[] {
    return this.outbox.entries();
  }

  /** Capabilities of a profile's session (or its definition's before connect). */
  capabilities(profile: string): Capabilities {
    const run = this.runs.get(profile);
    return run?.session?.capabilities ?? run?.def?.capabilities ?? this.store.getState().profiles[profile]?.capabilities ?? NONE;
  }

  /** Drops and re-opens the connection of one profile (or all) now. */
  reconnectNow(profile?: string): void {
    for (const run of this.runs.values()) {
      if (profile !== undefined && run.profile.name !== profile) continue;
      run.backoff.reset();
      safe(() => run.session?.reconnectNow());
    }
  }

  /**
   * Loads one page ({@link HISTORY_PAGE}) of messages older than the oldest loaded one. Sets
   * `loadingHistory` meanwhile; `hasMoreHistory` becomes (page was full). No-op while a load runs.
   * Rejects with ChatError `protocol` when the service has no history, and with the connector's
   * ChatError (also shown as a notice) when the fetch fails.
   */
  async loadOlder(key: string): Promise<void> {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    const session = run?.session;
    if (!session || !session.history || !session.capabilities.history) {
      throw new ChatError('protocol', `${this.serviceName(run)} has no message history to load`);
    }
    const st = this.store.getState().rooms[key];
    if (st?.loadingHistory) return;
    // The oldest message the server knows by id (not an echo, gap marker or synthetic system line).
    const oldest = st?.messages.find((m) => m.status === 'sent' && m.kind === 'normal');
    this.store.setLoadingHistory(key, true);
    try {
      const opts = oldest ? { before: oldest.id, limit: HISTORY_PAGE } : { limit: HISTORY_PAGE };
      const msgs = await session.history(room, opts);
      // The room may have been resolved to another id while the page was on its way (a placeholder).
      const target = splitRoomKey(this.resolveKey(key)).room;
      const mine = msgs.map((m) => ({ ...m, profile, room: target }));
      this.store.prependHistory(profile, target, mine, msgs.length >= HISTORY_PAGE);
    } catch (err) {
      const e = toChatError(err);
      this.store.addNotice(profile, 'error', this.redact(run, `history: ${e.message}`), room);
      throw e;
    } finally {
      this.store.setLoadingHistory(key, false);
    }
  }

  /** Our typing indicator on/off in a room; a no-op without capability `typingSend` or while not connected. */
  setTyping(key: string, typing: boolean): void {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    const s = run?.session;
    if (!s || !s.setTyping || !s.capabilities.typingSend || !run.connected) return;
    safe(() => s.setTyping?.(room, typing));
  }

  /** Opens another room at run time (capability `join`); returns its room key. Rejects with ChatError. */
  async join(profile: string, ref: string): Promise<string> {
    const run = this.runs.get(profile);
    const s = run?.session;
    if (!s || !s.joinRoom || !s.capabilities.join) throw new ChatError('protocol', `${this.serviceName(run)} cannot join rooms at run time`);
    const info = await s.joinRoom(ref);
    this.store.addRoom(profile, info);
    return roomKey(profile, info.id);
  }

  /** Leaves a room (capability `join`) and removes it from the store. Rejects with ChatError. */
  async part(key: string): Promise<void> {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    const s = run?.session;
    if (!s || !s.partRoom || !s.capabilities.join) throw new ChatError('protocol', `${this.serviceName(run)} cannot leave rooms at run time`);
    await s.partRoom(room);
    this.store.removeRoom(key);
  }

  /** Starts a DM (capability `dms`); resolves with the connector's notice text for the user. Rejects with ChatError. */
  async dm(profile: string, user: string): Promise<string> {
    const run = this.runs.get(profile);
    const s = run?.session;
    if (!s || !s.createDm || !s.capabilities.dms) throw new ChatError('protocol', `${this.serviceName(run)} has no direct messages`);
    return s.createDm(user);
  }

  /** A moderation action in a room (capability `moderation`). Rejects with ChatError (`forbidden` when not allowed). */
  async moderate(key: string, action: ModerationAction): Promise<void> {
    key = this.resolveKey(key);
    const { profile, room } = splitRoomKey(key);
    const run = this.runs.get(profile);
    const s = run?.session;
    if (!s || !s.moderate || !s.capabilities.moderation) throw new ChatError('forbidden', `no moderation rights on ${this.serviceName(run)}`);
    await s.moderate(room, action);
  }

  // ---------------------------------------------------------------- internals

  /** An event from a connector: add the profile, apply to the store, tell listeners, drive the outbox. */
  private handle(run: ProfileRun, ev: ConnectorEvent): void {
    if (this.stopped) return;
    this.dispatch(run, ev);
  }

  private dispatch(run: ProfileRun, ev: ConnectorEvent): void {
    const name = run.profile.name;
    const full = { ...ev, profile: name } as ChatEvent;
    let info: { isNew: boolean };
    try {
      info = this.store.apply(full);
    } catch (err) {
      // Remote input never crashes the client.
      this.store.addNotice(name, 'error', `dropped an event: ${errText(err)}`);
      return;
    }
    if (full.type === 'connection' && full.room === undefined) {
      run.connected = full.state === 'connected';
    } else if (full.type === 'connection') {
      run.connected = this.store.getState().profiles[name]?.state === 'connected';
    }
    // A room event may mean the session knows more rooms now (DMs, discovered rooms): take them all.
    if (full.type === 'room') this.populateRooms(run);
    if (full.type === 'connection' && run.connected) {
      this.populateRooms(run);
      const me = safe(() => run.session?.me?.());
      if (me) this.store.setMe(name, me);
      this.kick(run, true);
    }
    for (const l of [...this.listeners]) {
      try {
        l(full, info);
      } catch {
        // a listener's failure must not break the event flow
      }
    }
  }

  /** Room keys of placeholders (a configured room given by name) → the key of the room they resolved to. */
  private readonly aliases = new Map<string, string>();

  /** The key a caller's room key stands for now (a removed placeholder's resolved room), else itself. */
  private resolveKey(key: string): string {
    return this.aliases.get(key) ?? key;
  }

  private populateRooms(run: ProfileRun): void {
    const rooms = safe(() => run.session?.rooms()) ?? [];
    const name = run.profile.name;
    for (const r of rooms) this.store.addRoom(name, r);
    // A configured room given by name (a Glimesh streamer username, say) was shown under that name
    // before connecting; once the session knows it by its id, drop the empty placeholder and keep the
    // user's place (the active room moves to the resolved one).
    const ids = new Set(rooms.map((r) => r.id));
    const state = this.store.getState();
    for (const ref of run.profile.rooms ?? []) {
      if (ids.has(ref)) continue;
      const resolved = rooms.find((r) => r.name.toLowerCase() === ref.toLowerCase());
      const placeholder = state.rooms[roomKey(name, ref)];
      if (!resolved || !placeholder || placeholder.messages.some((m) => m.kind === 'normal')) continue;
      const wasActive = this.store.getActiveRoom() === placeholder.key;
      this.aliases.set(placeholder.key, roomKey(name, resolved.id));
      this.store.removeRoom(placeholder.key);
      if (wasActive) this.store.setActiveRoom(roomKey(name, resolved.id));
    }
  }

  /** Marks a profile failed with an error event (message must already be free of secrets). */
  private fail(run: ProfileRun, code: ChatError['code'], message: string): void {
    run.connected = false;
    this.dispatch(run, { type: 'connection', state: 'failed', reason: message });
    // The connector may already have reported the same error: one notice line is enough.
    const notices = this.store.getState().notices;
    const last = notices[notices.length - 1];
    if (last && last.profile === run.profile.name && last.text === message) return;
    this.dispatch(run, { type: 'error', code, message });
  }

  /** Our user on a profile for local echoes. */
  private me(run: ProfileRun): UserRef {
    const me = this.store.getState().profiles[run.profile.name]?.me ?? safe(() => run.session?.me?.());
    if (me) return me;
    return { id: run.profile.userId ?? '', name: run.profile.userName ?? run.profile.userId ?? 'me' };
  }

  private serviceName(run: ProfileRun | undefined): string {
    return run?.def?.displayName ?? run?.profile.service ?? 'this profile';
  }

  /** Replaces the profile's token (in every spelling) and echoed credentials in an error text (defence in depth: errors must not carry them anyway). */
  private redact(run: ProfileRun | undefined, text: string): string {
    return redactText(sanitizeLine(text), run?.token ? secretForms(run.token) : [], true);
  }

  /** Restores persisted entries into the store: queued ones show pending, failed ones failed. */
  private restoreOutbox(): void {
    for (const e of this.outbox.load()) {
      const run = this.runs.get(e.profile);
      if (!run) continue; // kept in the file for when that profile is loaded again
      const author = e.author ?? this.me(run);
      this.store.addLocalEcho(e.profile, e.room, e.txnId, e.text, author, { time: e.time });
      if (e.status === 'failed') this.store.failSend(e.profile, e.txnId, e.error ?? 'not sent');
    }
    this.outbox.save();
  }

  /**
   * Starts the profile's outbox pump unless it runs. `reconnected`: a new connection ends a pause
   * after a network error at once (a rate-limit pause is always waited out).
   */
  private kick(run: ProfileRun, reconnected = false): void {
    if (run.pumping) {
      if (reconnected && run.pauseKind === 'network') run.wake?.();
      return;
    }
    void this.pump(run);
  }

  /** Waits `ms` (or until woken: stop(), or a reconnect for a network pause). */
  private async pause(run: ProfileRun, ms: number, kind: 'network' | 'rate'): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        run.wake = undefined;
        run.pauseKind = undefined;
        resolve();
      }
      run.wake = done;
      run.pauseKind = kind;
    });
  }

  /**
   * Sends the profile's queued entries one at a time, in order. Stops when the profile is not
   * connected (the next `connected` event kicks it again) or the queue is empty.
   */
  private async pump(run: ProfileRun): Promise<void> {
    run.pumping = true;
    const name = run.profile.name;
    try {
      while (!this.stopped) {
        const entry = run.connected ? this.outbox.head(name) : undefined;
        const session = run.session;
        if (!entry || !session) break;
        this.outbox.update(entry.txnId, { status: 'sending' });
        let err: ChatError | undefined;
        try {
          const msg = await session.send(entry.room, entry.text, entry.txnId);
          this.store.confirmSend(name, entry.txnId, { ...msg, profile: name, room: msg.room || entry.room, txnId: entry.txnId });
          this.outbox.remove(entry.txnId);
          continue;
        } catch (e) {
          err = toChatError(e);
        }
        if (this.stopped) break; // stays `sending` in the file → failed on next start
        const message = this.redact(run, err.message);
        if (err.code === 'rate_limited') {
          // Rate limits slow the outbox down (issue 7); order is kept because this entry stays the head.
          const waits = entry.rateLimited + 1;
          if (waits > this.maxRateLimitWaits) {
            this.failEntry(entry, `rate limited: ${message}`);
            continue;
          }
          this.outbox.update(entry.txnId, { status: 'queued', rateLimited: waits });
          const delay = err.retryAfterMs ?? run.backoff.nextDelay();
          await this.pause(run, Math.max(0, Math.min(delay, 5 * 60_000)), 'rate');
          continue;
        }
        if (err.retryable) {
          const attempts = entry.attempts + 1;
          if (attempts >= this.maxSendAttempts) {
            this.failEntry(entry, `not confirmed after ${attempts} attempts: ${message}`);
            continue;
          }
          this.outbox.update(entry.txnId, { status: 'queued', attempts });
          // Wait, then go on if still connected; otherwise the next `connected` kicks the pump.
          await this.pause(run, run.backoff.nextDelay(), 'network');
          continue;
        }
        this.failEntry(entry, message);
      }
    } finally {
      run.pumping = false;
      run.wake = undefined;
    }
  }

  private failEntry(entry: OutboxEntry, reason: string): void {
    this.outbox.update(entry.txnId, { status: 'failed', error: reason });
    this.store.failSend(entry.profile, entry.txnId, reason);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? 'error') : String(err);
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

let segmenter: Intl.Segmenter | undefined;
/** Grapheme count of a text (what services mean by message length). */
function graphemes(text: string): number {
  if (text.length < 64 && /^[\x20-\x7e]*$/.test(text)) return text.length;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
