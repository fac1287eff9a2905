import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { archiveError, ArchiveError } from './errors.js';
import { FTS_CHUNK, indexPending } from './fts.js';
import { openArchiveDb } from './open.js';
import type { ArchiveDb } from './open.js';
import { writeBatch } from './write.js';
import type { Batch } from './write.js';

/**
 * The archive's writer thread (writer.ts, `worker: true`): its own connection to the database file,
 * one transaction per batch it is sent, in the order sent (and, when idle, the search index's catch-up); answers `{ id, ok }` or `{ id, ok: false,
 * error: { kind, message } }` (one line, as ArchiveError).
 */

const { file } = workerData as { file: string };

/**
 * The writer thread's nice value: the lowest CPU priority. On Linux a thread is a task with its own
 * nice value, and `setPriority(0, …)` (setpriority(2) with PRIO_PROCESS and who 0) sets the calling
 * thread's only (man 7 sched: "the nice value is a per-thread attribute"), so the UI thread keeps its
 * priority: during a flood on a machine with few cores the writer gets the CPU the flood leaves, and
 * catches up in the pauses (a batch stays in the main thread's memory until committed, writer.ts).
 * Elsewhere the call would renice the whole process, so it is made on Linux only.
 */
export const WRITER_NICE = 19;
if (process.platform === 'linux') {
  try {
    setPriority(0, WRITER_NICE);
  } catch {
    // not allowed (a sandbox): the writer runs at the process's priority
  }
}
let db: ArchiveDb | undefined;
let idle: NodeJS.Timeout | undefined;

/** While no batch comes for IDLE_MS, the search index catches up, a chunk at a time. */
const IDLE_MS = 150;

function indexWhenIdle(delay: number): void {
  if (idle) clearTimeout(idle);
  idle = setTimeout(() => {
    idle = undefined;
    try {
      if (db && indexPending(db.db, FTS_CHUNK) >= FTS_CHUNK) indexWhenIdle(5);
    } catch {
      // retried after the next batch; a search indexes what is left itself
    }
  }, delay);
}

parentPort?.on('message', (m: { id: number; batch: Batch }) => {
  try {
    db ??= openArchiveDb(file);
    writeBatch(db.db, m.batch);
    parentPort?.postMessage({ id: m.id, ok: true });
    indexWhenIdle(IDLE_MS); // also after the start-up message (an empty batch): a rebuild may be waiting
  } catch (err) {
    const e = err instanceof ArchiveError ? err : archiveError(err, file, 'new messages are kept in memory and written when it works again');
    parentPort?.postMessage({ id: m.id, ok: false, error: { kind: e.kind, message: e.message } });
  }
});
