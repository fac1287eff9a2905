import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutboxList, parseOutboxEntry } from './outbox.js';
import type { OutboxEntry, OutboxStore } from './outbox.js';

/**
 * The outbox kept in a JSON file: `<stateDir>/outbox.json` (file mode 0600 in a 0700 directory),
 * rewritten atomically (temp file + rename) on every change, so unconfirmed and failed sends are
 * offered again after a restart. One process: entries are not shared between processes.
 */

/** File name of the persisted outbox inside the state directory. */
export const OUTBOX_FILE = 'outbox.json';

/** Options of {@link JsonOutbox}. */
export interface OutboxOptions {
  /** State directory; undefined = in memory only. */
  stateDir?: string | undefined;
  /** Receives one-line warnings (unreadable file, loose permissions fixed, write failures). */
  warn?: (text: string) => void;
}

/** Ordered outbox entries (insertion order = send order), with optional persistence. */
export class JsonOutbox extends OutboxList implements OutboxStore {
  private readonly file: string | undefined;
  private readonly dir: string | undefined;
  private readonly warn: (text: string) => void;
  private writeWarned = false;

  constructor(opts: OutboxOptions = {}) {
    super();
    this.dir = opts.stateDir;
    this.file = opts.stateDir === undefined ? undefined : join(opts.stateDir, OUTBOX_FILE);
    this.warn = opts.warn ?? (() => undefined);
  }

  /** Path of the outbox file, or undefined when in memory only. */
  get path(): string | undefined {
    return this.file;
  }

  /**
   * Reads the persisted entries (replacing what is in memory) and returns them. A missing file is an
   * empty outbox; an unreadable one is moved aside to `outbox.json.bad` with a warning. Entries that
   * were `sending` come back `failed` with {@link UNCONFIRMED_REASON}. Fixes loose permissions.
   */
  load(): OutboxEntry[] {
    this.list = [];
    if (!this.file || !this.dir) return [];
    this.checkModes();
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`outbox: cannot read ${OUTBOX_FILE}: ${(err as Error).message.split('\n')[0]}`);
      return [];
    }
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      data = undefined;
    }
    const entries = (data as { entries?: unknown } | undefined)?.entries;
    if (!Array.isArray(entries)) {
      this.warn(`outbox: ${OUTBOX_FILE} is unreadable; moved aside to ${OUTBOX_FILE}.bad`);
      try {
        renameSync(this.file, `${this.file}.bad`);
      } catch {
        // nothing more we can do
      }
      return [];
    }
    for (const e of entries) {
      const entry = parseOutboxEntry(e);
      if (entry) this.list.push(entry);
    }
    return this.list.slice();
  }


  /** Appends an entry (a new send) and persists. Returns true: a write failure is warned, the entry kept in memory. */
  add(entry: OutboxEntry): boolean {
    this.list.push(entry);
    this.save();
    return true;
  }

  /** Marks a `queued` (or already `sending`) entry `sending` and persists; false when there is none to send. */
  claim(txnId: string): boolean {
    const e = this.get(txnId);
    if (!e || e.status === 'failed') return false;
    this.update(txnId, { status: 'sending' });
    return true;
  }

  /** Changes an entry and persists; returns it (undefined when unknown). */
  update(txnId: string, patch: Partial<Omit<OutboxEntry, 'txnId'>>): OutboxEntry | undefined {
    const e = this.get(txnId);
    if (!e) return undefined;
    Object.assign(e, patch);
    if (patch.status !== undefined && patch.status !== 'failed' && !('error' in patch)) delete e.error;
    this.save();
    return e;
  }

  /**
   * Moves an entry to the end of the send order (a retried failed message goes out after what is
   * already queued) and persists.
   */
  moveToEnd(txnId: string): void {
    const i = this.list.findIndex((e) => e.txnId === txnId);
    if (i < 0) return;
    const [e] = this.list.splice(i, 1);
    if (e) this.list.push(e);
    this.save();
  }

  /** Removes an entry (confirmed or discarded) and persists. */
  remove(txnId: string): boolean {
    const i = this.list.findIndex((e) => e.txnId === txnId);
    if (i < 0) return false;
    this.list.splice(i, 1);
    this.save();
    return true;
  }

  /**
   * Writes the outbox atomically (temp file + rename, mode 0600, directory 0700). A write error is
   * reported once through `warn` and never thrown: the in-memory outbox keeps working.
   */
  save(): void {
    if (!this.file || !this.dir) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.list }, null, 1) + '\n', { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
      this.writeWarned = false;
    } catch (err) {
      if (!this.writeWarned) this.warn(`outbox: cannot write ${OUTBOX_FILE}: ${(err as Error).message.split('\n')[0]}`);
      this.writeWarned = true;
    }
  }

  /** Directory 0700 and file 0600: creates the directory, tightens looser modes with a warning. */
  private checkModes(): void {
    if (!this.file || !this.dir) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const d = statSync(this.dir).mode & 0o777;
      if (d & 0o077) {
        chmodSync(this.dir, 0o700);
        this.warn(`state directory was mode ${d.toString(8)}; set to 700`);
      }
    } catch (err) {
      this.warn(`outbox: cannot prepare the state directory: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const f = statSync(this.file).mode & 0o777;
      if (f & 0o077) {
        chmodSync(this.file, 0o600);
        this.warn(`${OUTBOX_FILE} was mode ${f.toString(8)}; set to 600`);
      }
    } catch {
      // no file yet
    }
  }
}

