import type { ChatEvent, MessageEvent } from '../events.js';
import type { Archive } from './archive.js';
import { ArchiveError } from './errors.js';
import type { ArchivedMessage } from './types.js';

/**
 * The archive as the runtime uses it (src/core/runtime/archive.ts `RuntimeArchive`): records store
 * events, and reads rooms back as message events marked `archived`. A read that fails is reported once
 * through `onError` and returns nothing, so the room simply waits for the server.
 */

/** What the runtime needs of an archive (structurally the runtime's `RuntimeArchive`). */
export interface ArchiveHistory {
  record(ev: ChatEvent): void;
  recent(profile: string, room: string, limit: number): MessageEvent[];
  older(profile: string, room: string, before: { ts: number; id: string }, limit: number): MessageEvent[];
  newer(profile: string, room: string, after: { ts: number; id: string }, limit: number): MessageEvent[];
  search(text: string, opts: { profile?: string; room?: string; limit?: number }): MessageEvent[];
  searchRebuildLeft(): number;
}

/** An archived message as a message event for the store (deleted ones are left out: there is nothing to show). */
export function toArchivedEvent(m: ArchivedMessage): MessageEvent {
  const ev: MessageEvent = { type: 'message', profile: m.profile, room: m.room, id: m.id, author: m.author, text: m.text, time: new Date(m.ts).toISOString(), archived: true };
  if (m.edited) ev.edited = true;
  if (m.kind === 'system') ev.kind = 'system';
  return ev;
}

/** The runtime's view of `archive`; `onError` gets each failing read's one line (the caller says it once). */
export function archiveHistory(archive: Archive, onError: (err: ArchiveError) => void): ArchiveHistory {
  /** `f()`, or `fallback` when the archive fails (its one line goes to onError). */
  const guarded = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof ArchiveError) onError(err);
      return fallback;
    }
  };
  const read = (f: () => ArchivedMessage[]): MessageEvent[] => guarded(() => f().filter((m) => !m.deleted).map(toArchivedEvent), []);
  return {
    searchRebuildLeft: () => guarded(() => archive.searchRebuildLeft(), 0),
    record: (ev) => archive.record(ev),
    recent: (profile, room, limit) => read(() => archive.last(profile, room, limit)),
    older: (profile, room, before, limit) => read(() => archive.before(profile, room, before, limit)),
    newer: (profile, room, after, limit) => read(() => archive.after(profile, room, after, limit)),
    // The TUI's search: what is indexed, without waiting for a rebuild (searchRebuildLeft says how much is left).
    search: (text, o) => read(() => archive.search({ text, limit: o.limit ?? 50, waitForRebuild: false, ...(o.profile !== undefined ? { profile: o.profile } : {}), ...(o.room !== undefined ? { room: o.room } : {}) }).map((h) => h.message)),
  };
}
