import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stmt, transaction } from './open.js';
import type { ArchiveDb } from './open.js';
import { parseOutboxEntry } from '../runtime/outbox.js';
import type { OutboxEntry } from './outbox-row.js';

/**
 * The one-time import of the JSON outbox older versions kept (`<stateDir>/outbox.json`,
 * `{ "version": 1, "entries": [...] }`). Its entries become rows nobody owns (any process running the
 * profile adopts them); `sending` ones come in `failed` (the server may have them: the user decides).
 * Imported transaction ids are remembered in `outbox_imported` in the same transaction, so a second
 * process racing the first, or a crash between the commit and the file's removal, never imports one
 * twice. Entries that cannot be read are reported and kept in `outbox.json.bad`; the file is removed
 * only after the rows are committed and the bad entries are saved.
 */

/** File name of the old JSON outbox in the state directory. */
export const LEGACY_OUTBOX_FILE = 'outbox.json';

/**
 * Imports `<stateDir>/outbox.json` when it exists. Returns how many entries were new. Reports problems
 * through `warn` (one line each); never throws for the file, throws what SQLite throws for the database.
 */
export function importLegacyOutbox(a: ArchiveDb, stateDir: string, warn: (line: string) => void): number {
  const file = join(stateDir, LEGACY_OUTBOX_FILE);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`outbox: cannot read the old ${file}: ${(err as Error).message.split('\n')[0]}`);
    return 0;
  }
  let entries: unknown;
  try {
    entries = (JSON.parse(raw) as { entries?: unknown } | null)?.entries;
  } catch {
    entries = undefined;
  }
  if (!Array.isArray(entries)) {
    warn(`outbox: the old ${file} is unreadable; moved aside to ${LEGACY_OUTBOX_FILE}.bad`);
    try {
      renameSync(file, `${file}.bad`);
    } catch {
      // it stays where it is; the next start says so again
    }
    return 0;
  }
  const good: OutboxEntry[] = [];
  const bad: unknown[] = [];
  for (const e of entries) {
    const entry = parseOutboxEntry(e);
    if (entry) good.push(entry);
    else bad.push(e);
  }
  const seen = stmt(a.db, 'SELECT 1 FROM outbox_imported WHERE txn_id = ?');
  const mark = stmt(a.db, 'INSERT INTO outbox_imported (txn_id) VALUES (?)');
  const insert = stmt(
    a.db,
    `INSERT OR IGNORE INTO outbox (txn_id, seq, profile, room, text, time, status, error, attempts, rate_limited, author_id, author_name, owner, lease_until)
     VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, NULL, 0)`,
  );
  const added = transaction(a.db, () => {
    let n = 0;
    for (const e of good) {
      if (seen.get(e.txnId)) continue;
      insert.run(e.txnId, e.profile, e.room, e.text, e.time, e.status, e.error ?? null, e.author?.id ?? null, e.author?.name ?? null);
      mark.run(e.txnId);
      n++;
    }
    return n;
  });
  if (bad.length > 0) {
    try {
      writeFileSync(`${file}.bad`, JSON.stringify({ version: 1, entries: bad }, null, 1) + '\n', { mode: 0o600 });
    } catch (err) {
      warn(`outbox: ${bad.length} unreadable entr${bad.length === 1 ? 'y' : 'ies'} in the old ${file} could not be saved aside (${(err as Error).message.split('\n')[0]}); the file is kept`);
      return added;
    }
    warn(`outbox: ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} of the old ${file} could not be read (no room, text or id); kept in ${LEGACY_OUTBOX_FILE}.bad`);
  }
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`outbox: imported the old ${file} but cannot remove it: ${(err as Error).message.split('\n')[0]}`);
  }
  return added;
}

