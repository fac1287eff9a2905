import { statSync } from 'node:fs';
import { unindexed } from './fts.js';
import { stmt } from './open.js';
import type { ArchiveDb } from './open.js';

/** What `doctor` reports about the archive: file size (bytes, database + WAL), rows, integrity. */
export interface ArchiveStats {
  file: string;
  bytes: number;
  messages: number;
  outbox: number;
  /** Messages written but not in the search index yet (it catches up when idle, and before a search). */
  unindexed: number;
  /** `ok`, or the first problem `PRAGMA quick_check` found (sqlite.org/pragma.html#pragma_quick_check). */
  integrity: string;
}

/** Reads the stats of an open archive. Throws what SQLite throws. */
export function archiveStats(a: ArchiveDb): ArchiveStats {
  const size = (p: string): number => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  const count = (table: string): number => Number((stmt(a.db, `SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
  const check = stmt(a.db, 'PRAGMA quick_check(1)').get() as { quick_check: string } | undefined;
  return {
    file: a.file,
    bytes: size(a.file) + size(`${a.file}-wal`),
    messages: count('messages'),
    outbox: count('outbox'),
    unindexed: unindexed(a.db),
    integrity: check?.quick_check ?? 'unknown',
  };
}
