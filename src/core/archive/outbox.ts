import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { OutboxList, type OutboxStore } from '../runtime/outbox.js';
import { archiveError } from './errors.js';
import { importLegacyOutbox } from './legacy-outbox.js';
import { stmt, transaction } from './open.js';
import type { ArchiveDb } from './open.js';
import { entryOf, UNCONFIRMED } from './outbox-row.js';
import type { OutboxEntry, OutboxRow } from './outbox-row.js';

/**
 * The outbox on SQLite, shared by every chat-tui process on one config directory (mautrix bridgev2
 * keeps pending sends in its database the same way).
 *
 * Ownership: each row has an `owner` (one per process) and a lease (`lease_until`, ms since epoch). A
 * process only sends, changes and shows the rows it owns; it renews its leases every `leaseMs / 3`, and
 * gives them up on `release()` (quit). Rows whose lease ran out — a process that quit, or was killed —
 * are adopted (in one UPDATE, so by exactly one process) by a process running their profile: `queued`
 * ones go out from there, `sending` ones become `failed` (the server may have them; the user retries).
 *
 * Durability: `add` commits the row before it returns true, so the UI shows a send as pending only once
 * it is on disk; when the write fails it returns false (the caller shows the send failed, still
 * retryable). A send goes out only after `claim` set it `sending` in a transaction, under our lease.
 * Later changes (attempt counts, failures) are written through; a failed write is reported once and
 * the change kept in memory.
 */

/** Options of {@link SqliteOutbox}. */
export interface SqliteOutboxOptions {
  /** Profiles this process runs: it adopts only their rows (undefined = every profile). */
  profiles?: readonly string[];
  /** How long (ms) our claim on a row holds without renewal (default 30 s). */
  leaseMs?: number;
  /** Directory of the old JSON outbox to import once (the state directory); undefined = none. */
  legacyDir?: string;
  /** Receives one-line problems (failed writes, the import's bad entries). */
  warn?: (line: string) => void;
  /** Rows adopted after `load()` (another process quit or died): the caller shows and sends them. */
  onAdopt?: (entries: OutboxEntry[]) => void;
  /** Clock, ms since epoch (default Date.now). */
  now?: () => number;
}

/** Why a send shows failed when its outbox row could not be written (retry writes it again). */
export const NOT_SAVED = 'not saved: the outbox cannot be written (see the archive notice); retry to send it';

const COLUMNS = 'txn_id, profile, room, text, time, status, error, attempts, rate_limited, author_id, author_name';

/** The SQLite outbox of one process. See the module comment. */
export class SqliteOutbox extends OutboxList implements OutboxStore {
  /** This process's owner id: host, pid and a random part (pids are reused). */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Entries whose row could not be written: kept here as failed, written again on retry. */
  private readonly unsaved = new Set<string>();
  private readonly leaseMs: number;
  private readonly warn: (line: string) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;
  private released = false;

  constructor(
    private readonly archive: ArchiveDb,
    private readonly opts: SqliteOutboxOptions = {},
  ) {
    super();
    this.leaseMs = Math.max(50, opts.leaseMs ?? 30_000);
    this.warn = opts.warn ?? (() => undefined);
    this.now = opts.now ?? Date.now;
  }

  /** The database file. */
  get path(): string {
    return this.archive.file;
  }

  /**
   * Imports the old JSON outbox (once), adopts the rows nobody holds, and returns ours in send order.
   * Starts the lease renewal. Problems are warned, never thrown: the outbox then works in memory.
   */
  load(): OutboxEntry[] {
    if (this.opts.legacyDir !== undefined) {
      try {
        importLegacyOutbox(this.archive, this.opts.legacyDir, this.warn);
      } catch (err) {
        this.warn(archiveError(err, this.archive.file, 'the old outbox.json is kept and imported on the next start').message);
      }
    }
    this.list = [];
    this.adoptNow();
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
    return this.entries();
  }


  /**
   * Commits a new entry (ours, last in send order). Returns false when it could not be written (warned):
   * the entry is then kept in memory as `failed` ({@link NOT_SAVED}), so it stays visible and retryable
   * but is never reported queued without a row.
   */
  add(entry: OutboxEntry): boolean {
    if (!this.insert(entry)) {
      this.unsaved.add(entry.txnId);
      this.list.push({ ...entry, status: 'failed', error: entry.error ?? NOT_SAVED });
      return false;
    }
    this.list.push({ ...entry });
    return true;
  }

  private insert(entry: OutboxEntry): boolean {
    try {
      const insert = stmt(
        this.archive.db,
        `INSERT INTO outbox (txn_id, seq, profile, room, text, time, status, error, attempts, rate_limited, author_id, author_name, owner, lease_until)
         VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const args = [
        entry.txnId,
        entry.profile,
        entry.room,
        entry.text,
        entry.time,
        entry.status,
        entry.error ?? null,
        entry.attempts,
        entry.rateLimited,
        entry.author?.id ?? null,
        entry.author?.name ?? null,
        this.owner,
        this.now() + this.leaseMs,
      ];
      // BEGIN IMMEDIATE: the write lock first (waiting on the busy timeout), then the read of max(seq).
      transaction(this.archive.db, () => insert.run(...args));
    } catch (err) {
      this.report(err, 'this send is kept in memory only');
      return false;
    }
    return true;
  }

  /**
   * Claims a queued entry for sending: sets it `sending` in a transaction, only while we still own it.
   * Returns false when we do not (another process adopted it, or the write failed): do not send it.
   */
  claim(txnId: string): boolean {
    const e = this.get(txnId);
    if (!e) return false;
    try {
      const n = transaction(this.archive.db, () =>
        Number(
          stmt(this.archive.db, `UPDATE outbox SET status = 'sending', lease_until = ? WHERE txn_id = ? AND owner = ? AND status IN ('queued', 'sending')`).run(
            this.now() + this.leaseMs,
            txnId,
            this.owner,
          ).changes,
        ),
      );
      if (n === 0) {
        this.drop(txnId);
        return false;
      }
    } catch (err) {
      this.report(err, 'a queued send waits until it can be claimed');
      return false;
    }
    e.status = 'sending';
    return true;
  }

  /** Changes our entry (written through; kept in memory when the write fails). Returns it, or undefined. */
  update(txnId: string, patch: Partial<Omit<OutboxEntry, 'txnId'>>): OutboxEntry | undefined {
    const e = this.get(txnId);
    if (!e) return undefined;
    if (this.unsaved.has(txnId)) {
      // Not on disk yet: it goes back in the queue only once its row is written.
      if (patch.status !== 'queued') return Object.assign(e, patch);
      const row: OutboxEntry = { ...e, ...patch };
      delete row.error;
      if (!this.insert(row)) return e;
      this.unsaved.delete(txnId);
    }
    Object.assign(e, patch);
    if (patch.status !== undefined && patch.status !== 'failed' && !('error' in patch)) delete e.error;
    this.write(e);
    return e;
  }

  /** Moves our entry to the end of the send order (a retried send goes after what is queued). */
  moveToEnd(txnId: string): void {
    const i = this.list.findIndex((e) => e.txnId === txnId);
    if (i < 0) return;
    const [e] = this.list.splice(i, 1);
    if (!e) return;
    this.list.push(e);
    this.run(`UPDATE outbox SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM outbox) WHERE txn_id = ? AND owner = ?`, txnId, this.owner);
  }

  /** Removes an entry (confirmed or discarded) — confirmed is confirmed, whoever owns the row now. */
  remove(txnId: string): boolean {
    const i = this.list.findIndex((e) => e.txnId === txnId);
    this.unsaved.delete(txnId);
    this.run('DELETE FROM outbox WHERE txn_id = ?', txnId);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }

  /** Writes every entry's current state again (after failed writes) and renews our leases. */
  save(): void {
    for (const e of this.list) this.write(e);
  }

  /**
   * Gives our rows up (quit): their leases end now, so another process adopts them at once. `sending`
   * rows stay `sending` and are adopted as failed (unconfirmed). Stops the renewal.
   */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.released) return;
    this.released = true;
    this.run('UPDATE outbox SET lease_until = 0 WHERE owner = ?', this.owner);
  }

  /** Renews our leases and adopts rows whose lease ran out. */
  private tick(): void {
    if (this.released) return;
    this.run('UPDATE outbox SET lease_until = ? WHERE owner = ?', this.now() + this.leaseMs, this.owner);
    const adopted = this.adoptNow();
    if (adopted.length > 0) this.opts.onAdopt?.(adopted);
  }

  /** Adopts rows of our profiles nobody holds (one transaction); `sending` ones become failed. Returns them. */
  private adoptNow(): OutboxEntry[] {
    const profiles = this.opts.profiles;
    const filter = profiles ? `AND profile IN (${profiles.map(() => '?').join(', ') || "''"})` : '';
    let rows: OutboxRow[];
    try {
      rows = transaction(this.archive.db, () => {
        const now = this.now();
        const got = stmt(
          this.archive.db,
          `UPDATE outbox SET owner = ?, lease_until = ?,
             status = CASE status WHEN 'sending' THEN 'failed' ELSE status END,
             error = CASE status WHEN 'sending' THEN ? ELSE error END
           WHERE owner IS NOT ? AND lease_until < ? ${filter} RETURNING ${COLUMNS}, seq`,
        ).all(this.owner, now + this.leaseMs, UNCONFIRMED, this.owner, now, ...(profiles ?? [])) as unknown as (OutboxRow & { seq: number })[];
        return got.sort((a, b) => Number(a.seq) - Number(b.seq));
      });
    } catch (err) {
      this.report(err, 'queued sends of other sessions are not picked up');
      return [];
    }
    const mine = new Set(this.list.map((e) => e.txnId));
    const fresh = rows.filter((r) => !mine.has(r.txn_id)).map(entryOf);
    this.list.push(...fresh);
    return fresh;
  }

  private write(e: OutboxEntry): void {
    this.run(
      `UPDATE outbox SET status = ?, error = ?, attempts = ?, rate_limited = ?, lease_until = ? WHERE txn_id = ? AND owner = ?`,
      e.status,
      e.error ?? null,
      e.attempts,
      e.rateLimited,
      this.now() + this.leaseMs,
      e.txnId,
      this.owner,
    );
  }

  private run(sql: string, ...args: (string | number | null)[]): void {
    try {
      const s = stmt(this.archive.db, sql);
      transaction(this.archive.db, () => s.run(...args));
      this.warned = false;
    } catch (err) {
      this.report(err, 'the outbox change is kept in memory');
    }
  }

  private drop(txnId: string): void {
    const i = this.list.findIndex((e) => e.txnId === txnId);
    if (i >= 0) this.list.splice(i, 1);
  }

  private report(err: unknown, doing: string): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(archiveError(err, this.archive.file, doing).message);
  }
}
