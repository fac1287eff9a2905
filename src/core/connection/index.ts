/**
 * The connection kit every connector uses (see README.md here): a reconnecting link, close-code
 * policy, liveness, catch-up with exactly-once delivery, pending sends and echo matching, the emit
 * guard, throttled notices, and the one way to open a WebSocket.
 */
export { BoundedSet } from './bounded-set.js';
export { CatchUp, readByPaging, type CatchUpOptions, type CatchUpResult, type MissedMessages, type ReadMissed, type StreamMessage } from './catch-up.js';
export { PROTOCOL_CLOSE_CODES, describeClose } from './close-codes.js';
export { SafeEmitter, guardFrame } from './emitter.js';
export { ReconnectingLink, type LinkAttempt, type LinkConnection, type LinkEnd, type LinkOptions, type LinkState } from './link.js';
export { Liveness, type LivenessOptions } from './liveness.js';
export { NoticeThrottle } from './notices.js';
export { pageBack, type PageBackOptions, type PageBackResult } from './paging.js';
export { PendingSends, type Copy, type SendOptions } from './pending-sends.js';
export { Ready, firstReady } from './ready.js';
export { clientOptions, frameBuffer, openWebSocket, webSocketClass } from './ws.js';
