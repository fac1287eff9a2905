import type { ChatEvent, MessageEvent } from '../events.js';
import { roomKey, splitRoomKey } from '../state.js';
import type { ProfileRun, RuntimeContext } from './context.js';

/**
 * The runtime's use of the local archive (src/core/archive): what the store sees is recorded; a room
 * shows its last archived messages the moment it appears (marked `archived` until the server's copy
 * arrives); scrollback reads the archive before the server; after the first connect, the server's
 * latest page of each room shown from the archive is merged in by id (the messages missed while
 * chat-tui was not running). The archive is optional: without one, nothing here does anything.
 */

/** What the runtime needs of an archive. Reads return [] when the archive fails (it reports that itself). */
export interface RuntimeArchive {
  /** Queues a store event (message, edit, delete) for the next batch; never throws. */
  record(ev: ChatEvent): void;
  /** The newest `limit` messages of a room, oldest first, as message events with `archived: true`. */
  recent(profile: string, room: string, limit: number): MessageEvent[];
  /** Up to `limit` messages before (ts ms, id), oldest first, as message events with `archived: true`. */
  older(profile: string, room: string, before: { ts: number; id: string }, limit: number): MessageEvent[];
  /** Up to `limit` messages after (ts ms, id), oldest first, as message events with `archived: true`. */
  newer(profile: string, room: string, after: { ts: number; id: string }, limit: number): MessageEvent[];
  /** Full-text search, newest first (FTS5; all words, the last also as a prefix); does not wait for a search index rebuild. */
  search(text: string, opts: { profile?: string; room?: string; limit?: number }): MessageEvent[];
  /** How many older messages a search index rebuild has yet to index (so a search does not find them yet); 0 when none runs. */
  searchRebuildLeft?(): number;
}

/**
 * Puts a message found by search in its room with the messages around it (`around` before and after,
 * from the archive), so the pane can show it in context. Returns false without an archive.
 */
export function showAround(c: RuntimeContext, msg: MessageEvent, around: number): boolean {
  const archive = c.opts.archive;
  if (!archive) return false;
  const at = { ts: Date.parse(msg.time), id: msg.id };
  const page = [...archive.older(msg.profile, msg.room, at, around), { ...msg, archived: true as const }, ...archive.newer(msg.profile, msg.room, at, around)];
  c.store.prependHistory(msg.profile, msg.room, page, true);
  return true;
}

/** Messages a room gets from the archive when it first appears, per scrollback page, and per catch-up page from the server. */
export const ARCHIVE_FIRST_PAGE = 100;

const warmed = new WeakMap<RuntimeContext, Set<string>>();
const caughtUp = new WeakMap<RuntimeContext, Set<string>>();

function setOf(m: WeakMap<RuntimeContext, Set<string>>, c: RuntimeContext): Set<string> {
  let s = m.get(c);
  if (!s) m.set(c, (s = new Set()));
  return s;
}

/** Records a store event in the archive (messages, edits and deletes only). */
export function recordEvent(c: RuntimeContext, ev: ChatEvent): void {
  if (ev.type === 'message' || ev.type === 'message.edit' || ev.type === 'message.delete') c.opts.archive?.record(ev);
}

/**
 * Records a page of the server's history (a scrollback or catch-up page) in the archive: those messages
 * reach the store without an event, and the archive keeps every message the store sees (an id it holds
 * already is updated in place, never doubled). Rows that came from the archive are not written back.
 */
export function recordHistory(c: RuntimeContext, page: readonly MessageEvent[]): void {
  for (const m of page) if (!m.archived) recordEvent(c, m);
}

/** How long (ms) after the first room the other rooms wait to be filled: the first frame comes first. */
export const ARCHIVE_FILL_DELAY_MS = 150;

const queued = new WeakMap<RuntimeContext, string[]>();

/**
 * Fills a room from the archive the first time it is seen (no-op later, or without an archive). The
 * first room (the one shown first) is filled at once; the others after {@link ARCHIVE_FILL_DELAY_MS},
 * one per turn of the event loop, so that a hundred rooms do not hold up the first frame.
 */
export function warmRoom(c: RuntimeContext, profile: string, room: string): void {
  if (!c.opts.archive) return;
  const key = roomKey(profile, room);
  const done = setOf(warmed, c);
  if (done.has(key)) return;
  const first = done.size === 0;
  done.add(key);
  if (first) return fill(c, key);
  let q = queued.get(c);
  if (!q) {
    queued.set(c, (q = []));
    setTimeout(() => drain(c), ARCHIVE_FILL_DELAY_MS).unref();
  }
  q.push(key);
}

function drain(c: RuntimeContext): void {
  const q = queued.get(c);
  const key = q?.shift();
  if (!q || key === undefined || c.stopped) {
    queued.delete(c);
    return;
  }
  fill(c, key);
  setImmediate(() => drain(c));
}

function fill(c: RuntimeContext, key: string): void {
  const { profile, room } = splitRoomKey(key);
  if (!c.store.getState().rooms[key]) return; // gone meanwhile (a resolved placeholder)
  const msgs = c.opts.archive?.recent(profile, room, ARCHIVE_FIRST_PAGE) ?? [];
  if (!msgs.length) return;
  c.store.prependHistory(profile, room, msgs, true);
  // Filled after the profile connected: its catch-up page now.
  const run = c.runs.get(profile);
  if (run?.connected) void catchUpRoom(c, run, key);
}

/**
 * Scrollback from the archive: the page before the oldest message the room holds. Returns true when
 * it added messages (the caller stops there), false when the archive has nothing older (ask the server).
 */
export function olderFromArchive(c: RuntimeContext, key: string): boolean {
  const archive = c.opts.archive;
  if (!archive) return false;
  const { profile, room } = splitRoomKey(key);
  const st = c.store.getState().rooms[key];
  const oldest = st?.messages.find((m) => m.status === 'sent' && m.kind !== 'gap');
  if (!oldest) return false;
  const msgs = archive.older(profile, room, { ts: oldest.ts, id: oldest.id }, ARCHIVE_FIRST_PAGE);
  if (!msgs.length) return false;
  c.store.prependHistory(profile, room, msgs, true);
  return true;
}

/**
 * After a profile's first connect: the server's latest page of each room that was shown from the
 * archive, merged by id (an archived copy becomes confirmed; what was missed appears in order). Errors
 * are left to the live connection (a failed page is only a missed catch-up). Once per room.
 */
export async function catchUpArchived(c: RuntimeContext, run: ProfileRun): Promise<void> {
  const session = run.session;
  if (!c.opts.archive || !session?.history || !session.capabilities.history) return;
  for (const key of setOf(warmed, c)) {
    if (splitRoomKey(key).profile === run.profile.name) await catchUpRoom(c, run, key);
  }
}

/** The catch-up page of one room shown from the archive (once; rooms not filled yet are left for later). */
async function catchUpRoom(c: RuntimeContext, run: ProfileRun, key: string): Promise<void> {
  const session = run.session;
  if (!session?.history || !session.capabilities.history || c.stopped) return;
  const done = setOf(caughtUp, c);
  if (done.has(key) || !c.store.getState().rooms[key]?.messages.some((m) => m.archived)) return;
  done.add(key);
  const { profile, room } = splitRoomKey(key);
  try {
    const msgs = await session.history(room, { limit: ARCHIVE_FIRST_PAGE });
    if (c.stopped) return;
    const page = msgs.map((m) => ({ ...m, profile, room }));
    recordHistory(c, page);
    c.store.prependHistory(profile, room, page, true);
  } catch {
    // the live connection goes on; PgUp asks again
  }
}
