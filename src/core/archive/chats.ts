import { stmt } from './open.js';
import type { DatabaseSync } from './sqlite.js';

/**
 * The integer key of each (profile, room) in the archive (`chats`, schema.ts v4). `chats` rows are
 * never deleted, so a key read once is valid for the connection's life in every process; each
 * connection keeps the keys it has read in memory (a map per connection, no query per message).
 */

const known = new WeakMap<DatabaseSync, Map<string, number>>();

function cacheOf(db: DatabaseSync): Map<string, number> {
  let m = known.get(db);
  if (!m) known.set(db, (m = new Map()));
  return m;
}

/** The cache key of a (profile, room): NUL cannot occur in either (sanitised ids). */
function keyOf(profile: string, room: string): string {
  return `${profile}\u0000${room}`;
}

const SELECT = 'SELECT chat FROM chats WHERE profile = ? AND room = ?';
const INSERT = 'INSERT INTO chats (profile, room) VALUES (?, ?) ON CONFLICT (profile, room) DO NOTHING';

/** The chat key of (profile, room), or undefined when the archive has none (nothing was ever written there). */
function findChat(db: DatabaseSync, profile: string, room: string): number | undefined {
  const cache = cacheOf(db);
  const k = keyOf(profile, room);
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  const row = stmt(db, SELECT).get(profile, room) as { chat: number } | undefined;
  if (row === undefined) return undefined;
  cache.set(k, Number(row.chat));
  return Number(row.chat);
}

/**
 * The chat keys used by one write transaction. `get` creates a missing chat (inside the caller's
 * transaction); keys created here join the connection's cache only on {@link ChatKeys.committed},
 * so a rolled-back transaction leaves no key behind that the database does not have.
 */
export class ChatKeys {
  private readonly fresh = new Map<string, number>();
  private readonly cache: Map<string, number>;

  constructor(private readonly db: DatabaseSync) {
    this.cache = cacheOf(db);
  }

  /** The key of (profile, room), creating the chat when missing. Throws what SQLite throws. */
  get(profile: string, room: string): number {
    const k = keyOf(profile, room);
    const hit = this.cache.get(k) ?? this.fresh.get(k);
    if (hit !== undefined) return hit;
    stmt(this.db, INSERT).run(profile, room);
    const chat = Number((stmt(this.db, SELECT).get(profile, room) as { chat: number }).chat);
    this.fresh.set(k, chat);
    return chat;
  }

  /** The key of (profile, room) when the chat exists (an edit or delete never creates one). */
  find(profile: string, room: string): number | undefined {
    return this.fresh.get(keyOf(profile, room)) ?? findChat(this.db, profile, room);
  }

  /** Call after COMMIT: the keys created by the transaction become the connection's. */
  committed(): void {
    for (const [k, v] of this.fresh) this.cache.set(k, v);
    this.fresh.clear();
  }
}
