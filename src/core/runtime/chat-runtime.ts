import { randomUUID } from 'node:crypto';
import type { Capabilities, ModerationAction } from '../connector.js';
import { ChatError, toChatError } from '../errors.js';
import type { ChatEvent, MessageEvent } from '../events.js';
import type { NamedProfile } from '../profile.js';
import { sanitizeLine } from '../sanitize.js';
import { roomKey, splitRoomKey } from '../state.js';
import { SessionStore } from '../store/index.js';
import { errText, meOf, NONE, redact, safe, serviceName } from './context.js';
import type { ProfileRun, RuntimeContext, RuntimeOptions } from './context.js';
import { JsonOutbox } from './json-outbox.js';
import type { OutboxEntry } from './outbox.js';
import { closeProfile, newRun, resolveKey, restartProfile, showProfile, startProfile } from './profiles.js';
import { olderFromArchive, recordHistory, showAround } from './archive.js';
import { failEntry, kick, restoreOutbox, showOutboxEntries } from './pump.js';
import { sendRefusal } from './send-policy.js';

/** Page size of `loadOlder`. */
export const HISTORY_PAGE = 100;

/**
 * The runtime: one connector session per profile, all feeding one SessionStore, plus the outbox that
 * makes sends survive offline periods, rate limits and restarts. The TUI and the CLI talk to this;
 * they never test which service is behind a profile (only its capabilities). Connectors come from
 * `opts.getConnector`: the core imports none.
 */
export class ChatRuntime {
  /** The store every session feeds (the UI reads it). */
  readonly store: SessionStore;
  private readonly c: RuntimeContext;
  private started = false;

  /**
   * Looks up each profile's connector, adds the profiles and their configured rooms to the store and
   * restores the outbox (the JSON outbox reads `<stateDir>/outbox.json` synchronously; problems become
   * notices). Connects nothing: see {@link start}.
   */
  constructor(opts: RuntimeOptions) {
    const store = opts.store ?? new SessionStore();
    this.store = store;
    this.c = {
      opts,
      store,
      outbox: opts.outbox ?? new JsonOutbox({ stateDir: opts.stateDir, warn: (text) => store.addNotice('', 'error', sanitizeLine(text)) }),
      runs: new Map(),
      listeners: new Set(),
      abort: new AbortController(),
      aliases: new Map(),
      maxSendAttempts: Math.max(1, opts.maxSendAttempts ?? 5),
      maxRateLimitWaits: Math.max(0, opts.maxRateLimitWaits ?? 50),
      stopped: false,
    };
    for (const p of opts.profiles) this.c.runs.set(p.name, newRun(this.c, p));
    // The store shows the profiles, their rooms and the restored outbox at once (before start()).
    for (const run of this.c.runs.values()) showProfile(this.c, run);
    restoreOutbox(this.c);
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
    if (this.started || this.c.stopped) return;
    this.started = true;
    await Promise.all([...this.c.runs.values()].map((run) => startProfile(this.c, run)));
  }

  /** Closes every session and stops the outbox (its state stays persisted). */
  async stop(): Promise<void> {
    const c = this.c;
    if (c.stopped) return;
    c.stopped = true;
    c.abort.abort(new ChatError('network', 'stopped'));
    for (const run of c.runs.values()) run.wake?.();
    await Promise.all([...c.runs.values()].map((run) => closeProfile(run)));
    // Entries handed to a connector and not answered are persisted as `sending` → failed on next start.
    c.outbox.save();
    c.outbox.release?.();
    c.store.dispose();
  }

  /** Listens to every event after the store applied it; `isNew` is false for a message id already stored. */
  onEvent(listener: (ev: ChatEvent, info: { isNew: boolean }) => void): () => void {
    this.c.listeners.add(listener);
    return () => {
      this.c.listeners.delete(listener);
    };
  }

  /**
   * Sends `text` to a room. Returns the client transaction id at once; the message shows as a
   * pending local echo immediately. A send the send policy refuses (read-only, over-long) fails at
   * once (kept, shown failed with the reason). Otherwise the send goes into the outbox: out now when
   * connected, in order after the next `connected` otherwise; rate limits delay it; a refusal makes
   * it failed. Throws ChatError `not_found` for an unknown profile.
   */
  send(key: string, text: string): string {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run = this.c.runs.get(profile);
    if (!run) throw new ChatError('not_found', `unknown profile "${sanitizeLine(profile)}"`);
    const txnId = randomUUID();
    const author = meOf(this.c, run);
    this.store.addLocalEcho(profile, room, txnId, text, author);
    const time = this.store.echoTime(txnId) ?? new Date().toISOString();
    const refusal = sendRefusal(this.capabilities(profile), text)?.reason;
    const entry: OutboxEntry = { txnId, profile, room, text, time, status: refusal ? 'failed' : 'queued', attempts: 0, rateLimited: 0, author };
    if (refusal) {
      entry.error = refusal;
      this.store.failSend(profile, txnId, refusal);
    }
    // A send shows pending only once the outbox holds it; one it could not store shows failed (retryable).
    const stored = this.c.outbox.add(entry);
    if (!stored && !refusal) this.store.failSend(profile, txnId, this.c.outbox.get(txnId)?.error ?? 'not saved; retry to send it');
    if (stored && !refusal) kick(this.c, run);
    return txnId;
  }

  /**
   * Shows and sends outbox entries the outbox took over from another process that quit or died (a
   * shared outbox's adoption): queued ones go out from here, failed ones show failed.
   */
  adoptOutbox(entries: readonly OutboxEntry[]): void {
    if (this.c.stopped) return;
    for (const run of showOutboxEntries(this.c, entries)) kick(this.c, run);
  }

  /**
   * Requeues a failed send: `txnId`, else the newest failed message of the room. It goes out after
   * what is already queued. Returns false when there is nothing to retry.
   */
  retry(key: string, txnId?: string): boolean {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run = this.c.runs.get(profile);
    if (!run) return false;
    const outbox = this.c.outbox;
    let entry: OutboxEntry | undefined;
    if (txnId !== undefined) {
      entry = outbox.get(txnId);
      if (entry && (entry.status !== 'failed' || entry.profile !== profile || entry.room !== room)) entry = undefined;
    } else {
      const failed = outbox.entries().filter((e) => e.profile === profile && e.room === room && e.status === 'failed');
      entry = failed[failed.length - 1];
    }
    if (!entry) return false;
    this.store.addLocalEcho(profile, room, entry.txnId, entry.text, entry.author ?? meOf(this.c, run));
    const refusal = sendRefusal(this.capabilities(profile), entry.text);
    if (refusal?.code === 'read_only') {
      failEntry(this.c, entry, refusal.reason);
      return true;
    }
    // The failed try may be on the server (an answer that never came): the pump looks before posting.
    const requeued = outbox.update(entry.txnId, { status: 'queued', attempts: 0, rateLimited: 0, unsure: true });
    if (requeued?.status !== 'queued') {
      // the outbox could not store it again: it stays failed
      this.store.failSend(profile, entry.txnId, requeued?.error ?? 'not saved; retry to send it');
      return true;
    }
    outbox.moveToEnd(entry.txnId);
    kick(this.c, run);
    return true;
  }

  /**
   * Searches the local archive (newest first; all words, the last one also as a prefix). Returns the
   * hits as message events, or undefined when there is no archive (turned off, or it could not open).
   */
  searchArchive(text: string, opts: { profile?: string; room?: string; limit?: number } = {}): MessageEvent[] | undefined {
    return this.c.opts.archive?.search(text, opts);
  }

  /** How many older archived messages a search index rebuild has yet to index (searchArchive does not find them yet); 0 when none runs or without an archive. */
  archiveSearchRebuildLeft(): number {
    return this.c.opts.archive?.searchRebuildLeft?.() ?? 0;
  }

  /** Puts a search hit in its room with `around` archived messages on each side (for the pane to show it). */
  showArchived(msg: MessageEvent, around = 20): boolean {
    return showAround(this.c, msg, around);
  }

  /**
   * Drops a failed or queued send from the outbox (for good: it does not come back at the next start)
   * and from the room. One being handed to the connector (`sending`) cannot be taken back. Returns
   * whether it was dropped.
   */
  discard(key: string, txnId: string): boolean {
    const { profile } = splitRoomKey(resolveKey(this.c, key));
    const e = this.c.outbox.get(txnId);
    if (!e || e.status === 'sending' || e.profile !== profile) return false;
    this.c.outbox.remove(txnId);
    this.store.removeLocalEcho(profile, txnId);
    return true;
  }

  /** The outbox entries (a copy), in send order. */
  outboxEntries(): OutboxEntry[] {
    return this.c.outbox.entries();
  }

  /** Capabilities of a profile's session (or its definition's before connect). */
  capabilities(profile: string): Capabilities {
    const run = this.c.runs.get(profile);
    return run?.session?.capabilities ?? run?.def?.capabilities ?? this.store.getState().profiles[profile]?.capabilities ?? NONE;
  }

  /**
   * Drops and re-opens the connection of one profile (or all) now. With `RuntimeOptions.loadProfile`
   * the profile is read again first: when it changed (a fixed token, another URL) or the profile had
   * failed, its session is replaced by a new one made from what was read; otherwise the session
   * reconnects. Returns at once; {@link reload} is the same as a promise.
   */
  reconnectNow(profile?: string): void {
    void this.reload(profile);
  }

  /**
   * {@link reconnectNow} as a promise: resolves once each profile's reconnect was started (a replaced
   * session: once it connected or failed). A profile that is gone from the config or no longer
   * validates keeps its session, with one error line saying so. Never rejects.
   */
  async reload(profile?: string): Promise<void> {
    const runs = [...this.c.runs.values()].filter((run) => profile === undefined || run.profile.name === profile);
    await Promise.all(runs.map((run) => this.reloadRun(run)));
  }

  private async reloadRun(run: ProfileRun): Promise<void> {
    const c = this.c;
    const name = run.profile.name;
    const load = c.opts.loadProfile;
    let fresh: NamedProfile | undefined = run.profile;
    if (load && this.started) {
      try {
        fresh = await load(name);
      } catch (err) {
        this.store.addNotice(name, 'error', redact(run, `the profile in the config no longer works: ${errText(err)}; reconnecting with the one loaded at start`));
        fresh = run.profile;
      }
      if (!fresh) {
        this.store.addNotice(name, 'error', `profile "${sanitizeLine(name)}" is no longer in the config; reconnecting with the one loaded at start`);
        fresh = run.profile;
      }
    }
    if (c.stopped) return;
    const failed = this.store.getState().profiles[name]?.state === 'failed';
    const changed = JSON.stringify(fresh) !== JSON.stringify(run.profile);
    if (this.started && (changed || failed || !run.session)) {
      await restartProfile(c, run, { ...fresh, name });
      return;
    }
    run.backoff.reset();
    safe(() => run.session?.reconnectNow());
  }

  /**
   * Loads one page ({@link HISTORY_PAGE}) of messages older than the oldest loaded one. Sets
   * `loadingHistory` meanwhile; `hasMoreHistory` becomes (page was full). No-op while a load runs.
   * Rejects with ChatError `protocol` when the service has no history, and with the connector's
   * ChatError (also shown as a notice) when the fetch fails.
   */
  async loadOlder(key: string): Promise<void> {
    key = resolveKey(this.c, key);
    const { profile, room } = splitRoomKey(key);
    const run = this.c.runs.get(profile);
    const session = run?.session;
    // The archive first: the server only beyond what it holds.
    if (!this.store.getState().rooms[key]?.loadingHistory && olderFromArchive(this.c, key)) return;
    if (!session || !session.history || !session.capabilities.history) {
      throw new ChatError('protocol', `${serviceName(run)} has no message history to load`);
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
      const target = splitRoomKey(resolveKey(this.c, key)).room;
      const mine = msgs.map((m) => ({ ...m, profile, room: target }));
      recordHistory(this.c, mine);
      this.store.prependHistory(profile, target, mine, msgs.length >= HISTORY_PAGE);
    } catch (err) {
      const e = toChatError(err);
      this.store.addNotice(profile, 'error', redact(run, `history: ${e.message}`), room);
      throw e;
    } finally {
      this.store.setLoadingHistory(key, false);
    }
  }

  /** Our typing indicator on/off in a room; a no-op without capability `typingSend` or while not connected. */
  setTyping(key: string, typing: boolean): void {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.setTyping || !s.capabilities.typingSend || !run.connected) return;
    safe(() => s.setTyping?.(room, typing));
  }

  /** Opens another room at run time (capability `join`); returns its room key. Rejects with ChatError. */
  async join(profile: string, ref: string): Promise<string> {
    const run = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.joinRoom || !s.capabilities.join) throw new ChatError('protocol', `${serviceName(run)} cannot join rooms at run time`);
    const info = await s.joinRoom(ref);
    run.parted.delete(info.id);
    this.store.addRoom(profile, info);
    return roomKey(profile, info.id);
  }

  /** Leaves a room (capability `join`) and removes it from the store. Rejects with ChatError. */
  async part(key: string): Promise<void> {
    key = resolveKey(this.c, key);
    const { profile, room } = splitRoomKey(key);
    const run = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.partRoom || !s.capabilities.join) throw new ChatError('protocol', `${serviceName(run)} cannot leave rooms at run time`);
    // From now on the room's socket closing says nothing about the profile's connection.
    run.parted.add(room);
    try {
      await s.partRoom(room);
    } catch (err) {
      run.parted.delete(room);
      throw err;
    }
    this.store.removeRoom(key);
  }

  /** Starts a DM (capability `dms`); resolves with the connector's notice text for the user. Rejects with ChatError. */
  async dm(profile: string, user: string): Promise<string> {
    const run = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.createDm || !s.capabilities.dms) throw new ChatError('protocol', `${serviceName(run)} has no direct messages`);
    return s.createDm(user);
  }

  /** A moderation action in a room (capability `moderation`). Rejects with ChatError (`forbidden` when not allowed). */
  async moderate(key: string, action: ModerationAction): Promise<void> {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run: ProfileRun | undefined = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.moderate || !s.capabilities.moderation) throw new ChatError('forbidden', `no moderation rights on ${serviceName(run)}`);
    await s.moderate(room, action);
  }

  /**
   * Edits our own message `id` of a room to `text` (capability `editOwn`); the connector emits the
   * `message.edit` that updates the store. Rejects with ChatError.
   */
  async editMessage(key: string, id: string, text: string): Promise<void> {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run: ProfileRun | undefined = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.editMessage || !s.capabilities.editOwn) throw new ChatError('forbidden', `${serviceName(run)} cannot edit messages`);
    await s.editMessage(room, id, text);
  }

  /** Deletes our own message `id` of a room (capability `deleteOwn`); the connector emits the `message.delete`. Rejects with ChatError. */
  async deleteMessage(key: string, id: string): Promise<void> {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run: ProfileRun | undefined = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.deleteMessage || !s.capabilities.deleteOwn) throw new ChatError('forbidden', `${serviceName(run)} cannot delete messages`);
    await s.deleteMessage(room, id);
  }

  /** Sets a room's topic (capability `topicSet`); the connector emits the `room` event. Rejects with ChatError. */
  async setTopic(key: string, topic: string): Promise<void> {
    const { profile, room } = splitRoomKey(resolveKey(this.c, key));
    const run: ProfileRun | undefined = this.c.runs.get(profile);
    const s = run?.session;
    if (!s || !s.setTopic || !s.capabilities.topicSet) throw new ChatError('forbidden', `${serviceName(run)} cannot set a topic`);
    await s.setTopic(room, topic);
  }

  /**
   * Changes the profile's display name (capability `nick`): the connector says which profile fields
   * hold it, they are saved to the config, and the profile reconnects with them. Rejects with
   * ChatError, or the UsageError of a name the service cannot take.
   */
  async setNick(profile: string, name: string): Promise<void> {
    const run: ProfileRun | undefined = this.c.runs.get(profile);
    const s = run?.session;
    if (!run || !s || !s.setNick || !s.capabilities.nick) throw new ChatError('forbidden', `${serviceName(run)} has no display name to change`);
    const patch = s.setNick(name);
    await this.c.opts.saveProfile(profile, patch);
    await restartProfile(this.c, run, { ...run.profile, ...patch, name: profile });
  }
}
