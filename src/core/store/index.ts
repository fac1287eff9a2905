/**
 * The session store's public API (see session-store.ts for the identity, ordering and batching
 * rules). The store knows no protocol: connectors' events go in, the UI reads snapshots.
 */
export { SessionStore } from './session-store.js';
export { NO_CAPABILITIES } from './core.js';
export type { SessionStoreOptions, StoreSnapshot } from './core.js';
export type { ReadMarker } from './unread.js';
export { NOTICE_CAP } from './notices.js';
export { compareIds, compareMessages } from './order.js';
export { roomKey, splitRoomKey } from '../state.js';
