import { Archive } from './archive.js';
import { ArchiveError } from './errors.js';
import type { ArchiveFailure } from './errors.js';
import { archiveHistory } from './history.js';
import type { ArchiveHistory } from './history.js';
import type { OutboxEntry } from './outbox-row.js';
import type { SqliteOutbox } from './outbox.js';
import { archivePath } from './paths.js';
import type { ArchiveSettings } from './settings.js';

/**
 * The archive as an app (the TUI) opens it: one database in the config directory's archive path, its
 * outbox (always, even with `archive: false`: the outbox is about not losing sends, not about history),
 * the history the runtime records (written on a writer thread) and reads (only when the archive is on),
 * and pruning a little after start. Each kind of failure is said once through `notice`; when the
 * database cannot be opened at all, `outbox` is undefined and the caller keeps its file outbox.
 */

/** How long after start pruning runs (ms): out of the way of the first frame. */
export const PRUNE_DELAY_MS = 10_000;

/**
 * How long after start the writer thread is started when the search index is behind (ms): the writer
 * thread indexes when idle, but it starts with the first batch, and a search index rebuild (archive
 * schema v5) or rows a last run left unindexed must not wait for a message to arrive.
 */
export const INDEX_START_DELAY_MS = 1500;

/** What {@link openAppArchive} gives the runtime. */
export interface AppArchive {
  /** The database file. */
  file: string;
  outbox: SqliteOutbox | undefined;
  history: ArchiveHistory | undefined;
  /** Releases the outbox's rows, lets the writer thread finish and closes (after the runtime stopped). */
  close(): Promise<void>;
}

/** Options of {@link openAppArchive}. */
export interface AppArchiveOptions {
  /** The config directory (also the old JSON outbox's directory). */
  dir: string;
  settings: ArchiveSettings;
  /** Profiles this process runs (it adopts only their queued sends). */
  profiles: readonly string[];
  /** One line for the user (a notice in the TUI). */
  notice: (line: string) => void;
  /** Sends the outbox took over from a process that quit or died (ChatRuntime.adoptOutbox). */
  adopt: (entries: OutboxEntry[]) => void;
  env?: NodeJS.ProcessEnv;
}

/** Opens the app's archive; never throws (a failure is a notice and the parts it could not give are undefined). */
export function openAppArchive(o: AppArchiveOptions): AppArchive {
  const file = archivePath(o.dir, o.env);
  const said = new Set<ArchiveFailure>();
  const once = (err: ArchiveError): void => {
    if (said.has(err.kind)) return;
    said.add(err.kind);
    o.notice(err.message);
  };
  let archive: Archive;
  try {
    archive = Archive.open(file, { onError: once, worker: true });
  } catch (err) {
    if (err instanceof ArchiveError) once(err);
    else o.notice(`archive ${file} cannot be opened: ${(err as Error).message.split('\n')[0]}`);
    return { file, outbox: undefined, history: undefined, close: async () => undefined };
  }
  const outbox = archive.outbox({ profiles: o.profiles, legacyDir: o.dir, warn: o.notice, onAdopt: o.adopt });
  const indexTimer = setTimeout(() => {
    try {
      if (o.settings.enabled && archive.searchIndexBehind()) void archive.startWriter();
    } catch (err) {
      if (err instanceof ArchiveError) once(err);
    }
  }, INDEX_START_DELAY_MS);
  indexTimer.unref();
  let timer: NodeJS.Timeout | undefined;
  if (o.settings.enabled && (o.settings.maxAgeDays > 0 || o.settings.maxMessages > 0)) {
    timer = setTimeout(() => {
      try {
        archive.prune(o.settings);
      } catch (err) {
        if (err instanceof ArchiveError) once(err);
      }
    }, PRUNE_DELAY_MS);
    timer.unref();
  }
  return {
    file,
    outbox,
    history: o.settings.enabled ? archiveHistory(archive, once) : undefined,
    close: async () => {
      if (timer) clearTimeout(timer);
      clearTimeout(indexTimer);
      outbox.release();
      await archive.closeAsync();
    },
  };
}
