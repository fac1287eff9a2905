import type { ClientRequest, IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { clientOptions, webSocketClass } from '../../core/connection/index.js';

/**
 * The `ws` WebSocket as phoenix's transport, plus what phoenix hides: the HTTP status of a refused
 * upgrade. Glimesh answers a refused credential with HTTP 403 and no WebSocket (facts §2 "Sockets");
 * phoenix.js only sees an `error` and a `close`, so this subclass listens to ws's documented
 * `unexpected-response` event, records the status, reports it, and then aborts the handshake with
 * `terminate()` (which makes ws emit `error` and `close` as usual, so phoenix's bookkeeping runs).
 */

/** What a transport reports to its session. */
export interface TransportHooks {
  /** The server answered the upgrade with this HTTP status instead of 101. Called before phoenix sees the error. */
  refused(status: number): void;
  /** Options for every socket (ws ClientOptions: maxPayload, handshakeTimeout, headers…). */
  options: WebSocket.ClientOptions;
}

/** phoenix's transport constructor shape: `new transport(url, protocols)`. */
export type PhoenixTransport = new (url: string, protocols?: string | string[]) => WebSocket;

/**
 * Makes a transport class bound to `hooks`. Every instance records `httpStatus` when the upgrade was
 * refused. Errors of the underlying socket never escape as unhandled `error` events.
 */
export function makeTransport(hooks: TransportHooks): PhoenixTransport {
  return class GlimeshTransport extends webSocketClass() {
    /** HTTP status of a refused upgrade (e.g. 403), else undefined. */
    httpStatus: number | undefined;

    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols ?? [], clientOptions(hooks.options)); // the kit's rule: no permessage-deflate
      // phoenix uses the on* properties; an 'error' listener keeps a late error from being unhandled.
      this.on('error', () => {});
      this.once('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
        this.httpStatus = res.statusCode ?? 0;
        res.resume();
        try {
          hooks.refused(this.httpStatus);
        } finally {
          this.terminate();
        }
      });
    }
  };
}
