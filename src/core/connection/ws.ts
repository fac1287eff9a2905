import { createRequire } from 'node:module';
import type WebSocket from 'ws';

let wsClass: typeof WebSocket | undefined;

/**
 * ws's WebSocket class, loaded on the first socket rather than at start (ws is CommonJS, so `require`
 * loads it synchronously; ~15-40 ms of a TUI start that paints the archive before connecting).
 */
export function webSocketClass(): typeof WebSocket {
  return (wsClass ??= createRequire(import.meta.url)('ws') as typeof WebSocket);
}

/**
 * Every WebSocket client of chat-tui is created here, so that one rule holds for all: no
 * permessage-deflate (RFC 7692) unless a protocol needs it. A server could otherwise send frames of
 * 8 MiB that compress to 8 KiB, many a second, and have the client inflate hundreds of MB/s; none of
 * our services needs compression. `options` are ws's client options (maxPayload, handshakeTimeout…);
 * a protocol that needs compression passes `perMessageDeflate` itself. The `user-agent` is `chat-tui`.
 */
export function openWebSocket(url: string | URL, options: WebSocket.ClientOptions = {}): WebSocket {
  const Socket = webSocketClass();
  return new Socket(url, clientOptions(options));
}

/**
 * The same rule as ws client options, for a socket that a library constructs itself (phoenix's
 * `transport` class for glimesh): `options` without permessage-deflate, with the `user-agent`.
 */
export function clientOptions(options: WebSocket.ClientOptions = {}): WebSocket.ClientOptions {
  return { perMessageDeflate: false, ...options, headers: { 'user-agent': 'chat-tui', ...options.headers } };
}

/** One received frame as a Buffer, whatever form ws gave it in (Buffer, ArrayBuffer, fragments). */
export function frameBuffer(data: WebSocket.RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

export type { WebSocket };
