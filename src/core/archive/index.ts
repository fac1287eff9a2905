/** The local archive on `node:sqlite`: messages, search, export and the outbox, one database per config directory. */
export { Archive } from './archive.js';
export { ArchiveError, archiveError, failureOf } from './errors.js';
export type { ArchiveFailure } from './errors.js';
export { archivePath, ARCHIVE_FILE } from './paths.js';
export { archiveSettings, ARCHIVE_DEFAULTS } from './settings.js';
export type { ArchiveSettings } from './settings.js';
export { SqliteOutbox } from './outbox.js';
export type { SqliteOutboxOptions } from './outbox.js';
export { UNCONFIRMED } from './outbox-row.js';
export type { OutboxEntry, OutboxStatus } from './outbox-row.js';
export { LEGACY_OUTBOX_FILE } from './legacy-outbox.js';
export { ftsQuery } from './search.js';
export type { SearchHit, SearchQuery } from './search.js';
export type { ExportQuery } from './export.js';
export type { Cursor } from './read.js';
export type { ArchivedMessage } from './types.js';
export type { ArchiveStats } from './stats.js';
