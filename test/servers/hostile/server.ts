import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hostile HTTP server on 127.0.0.1 for the connectors' HTTP rules: every request is answered by
 * the current `mode` — a redirect (any status, any Location), an endless body (200, chunked, no
 * Content-Length, written as fast as the client reads until it goes away), or a JSON answer. It
 * records each request (method, path, headers, body) and, for endless bodies, how many bytes it
 * wrote and whether the client closed the connection before the body would have ended.
 */

/** What the server answers. */
export type Mode =
  | { kind: 'redirect'; status: number; location: string; onlyFirst?: boolean }
  | { kind: 'endless'; contentType?: string }
  | { kind: 'json'; status: number; body: unknown };

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  mode: Mode;
  requests: SeenRequest[];
  /** Bytes written by the current (last) endless body. */
  endlessBytes: number;
  /** Resolves when the client has closed the connection of an endless body (before the safety stop). */
  clientClosed: Promise<number>;
  close(): Promise<void>;
}

/** An endless body stops by itself after this many bytes, so that a client without a cap cannot take the machine down. */
export const SAFETY_STOP_BYTES = 128 * 1024 * 1024;

const CHUNK = Buffer.alloc(64 * 1024, '[');

/** Starts a hostile server answering `mode` (change it with `server.mode = …`). */
export async function startHostileServer(mode: Mode = { kind: 'json', status: 200, body: {} }): Promise<HostileServer> {
  let closedResolve: (bytes: number) => void = () => {};
  const state: HostileServer = {
    url: '',
    port: 0,
    mode,
    requests: [],
    endlessBytes: 0,
    clientClosed: new Promise<number>(() => {}),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.requests.push(seen);
      const m = state.mode;
      if (m.kind === 'redirect') {
        if (m.onlyFirst && state.requests.length > 1) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ followed: true, method: seen.method, body: seen.body }));
          return;
        }
        res.writeHead(m.status, { location: m.location, 'content-type': 'text/plain' }).end('moved');
        return;
      }
      if (m.kind === 'json') {
        res.writeHead(m.status, { 'content-type': 'application/json' }).end(JSON.stringify(m.body));
        return;
      }
      // endless: no Content-Length (chunked), written while the client reads
      state.endlessBytes = 0;
      state.clientClosed = new Promise<number>((r) => (closedResolve = r));
      res.writeHead(200, { 'content-type': m.contentType ?? 'application/json' });
      let done = false;
      res.on('close', () => {
        if (!done) closedResolve(state.endlessBytes);
        done = true;
      });
      const pump = (): void => {
        while (!done) {
          if (state.endlessBytes >= SAFETY_STOP_BYTES) {
            done = true;
            res.end(']');
            return;
          }
          state.endlessBytes += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  state.port = port;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
