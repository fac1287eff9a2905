/**
 * What can go wrong with the archive database, as one line for the user (a notice in the TUI, stderr
 * for a command). The app keeps running without the archive: live chat never depends on it.
 * SQLite result codes: https://www.sqlite.org/rescode.html (primary codes; `node:sqlite` puts the
 * primary or extended code in `errcode` and SQLite's text in `message`/`errstr`).
 */

/** Why the archive failed. */
export type ArchiveFailure = 'locked' | 'full' | 'corrupt' | 'readonly' | 'unavailable' | 'error';

/** An archive error: `kind` says why, `message` is one line naming the file (never message text). */
export class ArchiveError extends Error {
  readonly kind: ArchiveFailure;
  constructor(kind: ArchiveFailure, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ArchiveError';
    this.kind = kind;
  }
}

/** SQLite primary result codes we tell apart (sqlite.org/rescode.html). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** The failure kind of anything thrown by `node:sqlite` or `node:fs` while using the archive. */
export function failureOf(err: unknown): ArchiveFailure {
  if (err instanceof ArchiveError) return err.kind;
  const e = err as { errcode?: unknown; code?: unknown; message?: unknown } | undefined;
  const primary = typeof e?.errcode === 'number' ? e.errcode & 0xff : undefined;
  const text = typeof e?.message === 'string' ? e.message : '';
  if (primary === SQLITE_FULL || e?.code === 'ENOSPC' || /disk is full/i.test(text)) return 'full';
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED || /database is locked/i.test(text)) return 'locked';
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB || /malformed|not a database/i.test(text)) return 'corrupt';
  if (primary === SQLITE_READONLY || e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS' || /readonly|read-only/i.test(text)) return 'readonly';
  if (primary === SQLITE_CANTOPEN || primary === SQLITE_IOERR || /unable to open/i.test(text)) return 'unavailable';
  return 'error';
}

const WHAT: Record<ArchiveFailure, string> = {
  locked: 'is locked by another program',
  full: 'cannot grow: the disk is full',
  corrupt: 'is damaged (not a readable database); move it aside to start a new one',
  readonly: 'cannot be written (read-only file or directory)',
  unavailable: 'cannot be opened',
  error: 'failed',
};

/**
 * Wraps `err` as an ArchiveError with one line: `archive <file> <what>: <doing>` plus SQLite's own
 * short text for `error`. `doing` says what was not done ("new messages are not archived").
 */
export function archiveError(err: unknown, file: string, doing: string): ArchiveError {
  const kind = failureOf(err);
  const detail = kind === 'error' || kind === 'unavailable' ? ` (${firstLine(err)})` : '';
  return new ArchiveError(kind, `archive ${file} ${WHAT[kind]}${detail}: ${doing}`, { cause: err });
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? 'error').slice(0, 200);
}
