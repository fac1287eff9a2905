/**
 * The runtime's public API: `ChatRuntime` (profiles' sessions feeding one store, the outbox pump),
 * the send policy the UI shares, and the outbox interface an implementation provides.
 */
export { ChatRuntime, HISTORY_PAGE } from './chat-runtime.js';
export type { RuntimeOptions } from './context.js';
export type { RuntimeArchive } from './archive.js';
export { DEFAULT_READ_ONLY_REASON, graphemeCount, sendRefusal } from './send-policy.js';
export type { SendRefusal } from './send-policy.js';
export { UNCONFIRMED_REASON } from './outbox.js';
export type { OutboxEntry, OutboxStatus, OutboxStore } from './outbox.js';
export { JsonOutbox, OUTBOX_FILE } from './json-outbox.js';
