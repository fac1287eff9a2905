/**
 * The bench's own chatapi server: the WebSocket half of the chatapi seed protocol (Doc B,
 * ../shared/protocols/chatapi.seed.md "WebSockets API": `ws://host/ws/{room_id}?token=KEY`, typed JSON
 * envelopes `{type, data, timestamp, room_id}`) and just enough of its REST half (`/api/v1`, bare or
 * `{data, status}` envelope) for the chatapi connector to connect, backfill and send.
 *
 * It exists to push large, pre-encoded streams as fast as a socket takes them (or at a fixed rate), to
 * drop sockets on demand, and to record when each frame left, so that the bench and the soak can time
 * clients from the outside. Loopback only (127.0.0.1, port 0).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A room of the bench server. `id` is the UUID clients put in `/ws/{room_id}`. */
export interface BenchRoom {
  id: string;
  name: string;
}

/** One stored message, in the seed's REST message shape (what `GET …/messages` returns). */
export interface StoredBenchMessage {
  id: string;
  room_id: string;
  sender_id: string;
  sender_name: string;
  content: string;
  message_type: 'text';
  meta: Record<string, unknown>;
  created_at: string;
  updated_at: null;
  edited_at: null;
  is_deleted: false;
}

/** An open client socket. */
export interface BenchSocket {
  ws: WebSocket;
  room: string;
  openedAt: number;
  query: URLSearchParams;
}

/** How a stream is paced: as fast as the sockets take it, or `rate` frames a second. */
export interface StreamOptions {
  /** Frames per second; omitted = as fast as the sockets drain (bounded by `maxBuffered`). */
  rate?: number;
  /** Bytes queued per socket before the sender waits for it to drain (default 4 MiB). */
  maxBuffered?: number;
  /** Keep the messages for REST history (backfill after drops). Default true. */
  store?: boolean;
  /** Aborts the stream early. */
  signal?: AbortSignal;
  /** Called before each frame goes out (the soak injects drops and hostile frames here). */
  beforeEach?: (seq: number) => void | Promise<void>;
}

/** Messages and their encoded `message` frames, ready to send. */
export interface PreparedStream {
  room: string;
  messages: StoredBenchMessage[];
  frames: string[];
  /** The frames as WebSocket wire bytes (built on first unpaced stream), and where each frame ends. */
  wire?: { bytes: Buffer; ends: Uint32Array };
}

/**
 * Encodes text frames as server→client WebSocket frames (RFC 6455 §5.2: FIN + opcode 1, unmasked, 7/16/64-bit
 * length), back to back, so an unpaced stream is a few large socket writes instead of one `send` per frame.
 */
export function encodeWire(frames: readonly string[]): { bytes: Buffer; ends: Uint32Array } {
  const payloads = frames.map((f) => Buffer.from(f, 'utf8'));
  let total = 0;
  for (const p of payloads) total += p.length + (p.length < 126 ? 2 : p.length < 65536 ? 4 : 10);
  const bytes = Buffer.allocUnsafe(total);
  const ends = new Uint32Array(frames.length);
  let o = 0;
  payloads.forEach((p, i) => {
    bytes[o++] = 0x81;
    if (p.length < 126) bytes[o++] = p.length;
    else if (p.length < 65536) {
      bytes[o++] = 126;
      bytes.writeUInt16BE(p.length, o);
      o += 2;
    } else {
      bytes[o++] = 127;
      bytes.writeBigUInt64BE(BigInt(p.length), o);
      o += 8;
    }
    p.copy(bytes, o);
    o += p.length;
    ends[i] = o;
  });
  return { bytes, ends };
}

/** What a finished stream reports; times are `performance.now()` ms of this process. */
export interface StreamResult {
  sent: number;
  firstSentAt: number;
  lastSentAt: number;
  /** `sentAt[i]`: when message i (0-based) was handed to the sockets. */
  sentAt: Float64Array;
}

export interface BenchServer {
  /** `http://127.0.0.1:PORT` — the profile URL for the chatapi connector. */
  url: string;
  port: number;
  apiKey: string;
  rooms: BenchRoom[];
  /** `ws://127.0.0.1:PORT/ws/{room}?token=KEY` (for raw clients such as wscat). */
  wsUrl(room: string): string;
  sockets(room?: string): BenchSocket[];
  /** Resolves when `n` sockets (any room, or `room`) are open. */
  waitForSockets(n: number, room?: string, timeoutMs?: number): Promise<void>;
  /** Stores a message and broadcasts it to the room. */
  post(room: string, msg: { id: string; content: string; senderId?: string; senderName?: string; time?: string }): void;
  /** Builds and encodes `count` messages made by `make(seq)` for `room` ahead of a stream (so the stream costs only `send`). */
  prepare(room: string, count: number, make: (seq: number) => { id: string; content: string; senderId?: string; senderName?: string }): PreparedStream;
  /** Streams a prepared batch into its room. */
  stream(batch: PreparedStream, opts?: StreamOptions): Promise<StreamResult>;
  /** Sends a raw frame (string or Buffer) to every socket of the room. */
  raw(room: string, frame: string | Buffer): void;
  /** Drops every socket of the room: `terminate` (no close frame) or close with `code`. */
  drop(room: string, how: 'terminate' | number): number;
  /** Number of REST requests seen, by `METHOD path-pattern`. */
  requests: Map<string, number>;
  messages(room: string): StoredBenchMessage[];
  close(): Promise<void>;
}

const isoFrom = (ms: number): string => new Date(ms).toISOString();

/** A Doc B `message` envelope as one JSON string. */
export function messageFrame(room: string, m: StoredBenchMessage): string {
  return JSON.stringify({ type: 'message', data: m, timestamp: m.created_at, room_id: room });
}

/**
 * Starts the server on 127.0.0.1 (port 0). `rooms` default to one room; every message and room id is a
 * string, every time ISO UTC.
 */
export async function startBenchServer(opts: { apiKey?: string; rooms?: BenchRoom[] } = {}): Promise<BenchServer> {
  const apiKey = opts.apiKey ?? 'bench-key-0123456789';
  const rooms: BenchRoom[] = opts.rooms ?? [{ id: '6f1c2a10-0000-4000-8000-000000000001', name: 'bench' }];
  const store = new Map<string, StoredBenchMessage[]>(rooms.map((r) => [r.id, []]));
  const open = new Set<BenchSocket>();
  const requests = new Map<string, number>();
  const waiters: Array<() => void> = [];
  // Server times: wall-clock ms, strictly increasing (so every message has its own time and order).
  let clock = 0;
  const nextTime = (): string => isoFrom((clock = Math.max(Date.now(), clock + 1)));

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const authorised = (req: IncomingMessage): boolean =>
    req.headers['x-api-key'] === apiKey || req.headers.authorization === `Bearer ${apiKey}`;

  const makeMessage = (room: string, m: { id: string; content: string; senderId?: string; senderName?: string; time?: string }): StoredBenchMessage => ({
    id: m.id,
    room_id: room,
    sender_id: m.senderId ?? 'bench_user',
    sender_name: m.senderName ?? 'Bench User',
    content: m.content,
    message_type: 'text',
    meta: {},
    created_at: m.time ?? nextTime(),
    updated_at: null,
    edited_at: null,
    is_deleted: false,
  });

  const broadcast = (room: string, frame: string | Buffer): void => {
    for (const s of open) if (s.room === room && s.ws.readyState === 1) s.ws.send(frame);
  };

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    const key = `${req.method} ${parts.map((p, i) => (i === 3 ? ':room' : i === 5 ? ':id' : p)).join('/')}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 1_000_000) body += c;
    });
    req.on('end', () => {
      if (parts[0] !== 'api' || parts[1] !== 'v1') return json(res, 404, { detail: 'Not Found' });
      if (!authorised(req)) return json(res, 401, { detail: 'Invalid API key' });
      if (parts[2] === 'rooms' && parts.length === 3 && req.method === 'GET') {
        return json(res, 200, { data: rooms.map((r) => ({ id: r.id, name: r.name, participant_count: 1 })), status: 'success' });
      }
      const roomId = parts[2] === 'rooms' && parts[3] ? decodeURIComponent(parts[3]) : undefined;
      const room = roomId === undefined ? undefined : rooms.find((r) => r.id === roomId);
      if (!room) return json(res, 404, { detail: 'Room not found' });
      const list = store.get(room.id) ?? [];
      if (parts.length === 4 && req.method === 'GET') {
        return json(res, 200, { data: { id: room.id, name: room.name, participant_count: 1, is_active: true }, status: 'success' });
      }
      if (parts[4] === 'messages' && parts.length === 5 && req.method === 'GET') {
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 100);
        const before = url.searchParams.get('before') ?? url.searchParams.get('before_message_id');
        const after = url.searchParams.get('after');
        let end = list.length;
        let start = Math.max(0, end - limit);
        if (before) {
          const i = list.findIndex((m) => m.id === before);
          if (i >= 0) end = i;
          start = Math.max(0, end - limit);
        } else if (after) {
          const i = list.findIndex((m) => m.id === after);
          if (i >= 0) {
            start = i + 1;
            end = Math.min(list.length, start + limit);
          }
        }
        return json(res, 200, { data: list.slice(start, end), status: 'success', pagination: { skip: start, limit, total: list.length, has_more: start > 0 } });
      }
      if (parts[4] === 'messages' && parts.length === 5 && req.method === 'POST') {
        let parsed: { content?: unknown; sender_id?: unknown; sender_name?: unknown } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          return json(res, 422, { detail: 'invalid JSON' });
        }
        if (typeof parsed.content !== 'string' || !parsed.content.trim()) return json(res, 422, { detail: 'content is required' });
        const m = makeMessage(room.id, {
          id: `post-${list.length}-${Date.now()}`,
          content: parsed.content,
          senderId: typeof parsed.sender_id === 'string' ? parsed.sender_id : 'bench_me',
          senderName: typeof parsed.sender_name === 'string' ? parsed.sender_name : 'Bench Me',
        });
        list.push(m);
        broadcast(room.id, messageFrame(room.id, m));
        return json(res, 201, { data: m, status: 'success' });
      }
      if (parts[4] === 'online' && req.method === 'GET') {
        const online = [...open].filter((s) => s.room === room.id).map((s) => s.query.get('user_id') ?? 'anon');
        return json(res, 200, { data: { online_users: online, total_online: online.length }, status: 'success' });
      }
      if (parts[4] === 'participants' && req.method === 'GET') return json(res, 200, { data: [], status: 'success' });
      return json(res, 404, { detail: 'Not Found' });
    });
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/ws\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const roomId = decodeURIComponent(m[1] ?? '');
      if (url.searchParams.get('token') !== apiKey) return ws.close(4001, 'Unauthorized');
      if (!rooms.some((r) => r.id === roomId)) return ws.close(4002, 'Room not found');
      const s: BenchSocket = { ws, room: roomId, openedAt: performance.now(), query: url.searchParams };
      open.add(s);
      ws.on('error', () => undefined);
      ws.on('close', () => open.delete(s));
      ws.on('message', (data) => {
        let frame: { type?: unknown } | undefined;
        try {
          frame = JSON.parse(String(data)) as { type?: unknown };
        } catch {
          return;
        }
        if (frame?.type === 'ping') ws.send(JSON.stringify({ type: 'pong', data: {}, timestamp: nextTime(), room_id: roomId }));
        else if (frame?.type === 'get_online_users') sendStatus();
      });
      const sendStatus = (): void => {
        const online = [...open].filter((o) => o.room === roomId).map((o) => o.query.get('user_id') ?? 'anon');
        ws.send(
          JSON.stringify({
            type: 'connection_status',
            data: { status: 'connected', user_id: url.searchParams.get('user_id') ?? 'anon', room_id: roomId, online_users: online, total_participants: online.length },
            timestamp: nextTime(),
            room_id: roomId,
          }),
        );
      };
      sendStatus();
      for (const w of waiters.splice(0)) w();
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const socketsOf = (room?: string): BenchSocket[] => [...open].filter((s) => room === undefined || s.room === room);

  return {
    url,
    port,
    apiKey,
    rooms,
    requests,
    wsUrl: (room) => `ws://127.0.0.1:${port}/ws/${encodeURIComponent(room)}?token=${encodeURIComponent(apiKey)}`,
    sockets: socketsOf,
    messages: (room) => store.get(room) ?? [],
    async waitForSockets(n, room, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (socketsOf(room).length < n) {
        if (performance.now() > deadline) throw new Error(`bench server: ${n} socket(s) did not connect within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    post(room, msg) {
      const m = makeMessage(room, msg);
      store.get(room)?.push(m);
      broadcast(room, messageFrame(room, m));
    },
    prepare(room, count, make) {
      const messages: StoredBenchMessage[] = new Array(count);
      const frames: string[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const m = makeMessage(room, make(i));
        messages[i] = m;
        frames[i] = messageFrame(room, m);
      }
      return { room, messages, frames };
    },
    async stream(batch, o = {}) {
      const { room } = batch;
      const count = batch.frames.length;
      const maxBuffered = o.maxBuffered ?? 4 * 1024 * 1024;
      const keep = o.store ?? true;
      const list = store.get(room) ?? [];
      const sentAt = new Float64Array(count);
      const t0 = performance.now();
      let firstSentAt = 0;
      let sent = 0;
      const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));
      if (o.rate === undefined && !o.beforeEach) {
        // Unpaced: raw wire bytes in ~256 KiB writes on frame boundaries, waiting for 'drain'.
        batch.wire ??= encodeWire(batch.frames);
        const { bytes, ends } = batch.wire;
        const targets = socketsOf(room).filter((s) => s.ws.readyState === 1);
        let from = 0;
        let fromByte = 0;
        while (from < count && !o.signal?.aborted) {
          let to = from;
          while (to < count - 1 && (ends[to] as number) - fromByte < 256 * 1024) to++;
          const endByte = ends[to] as number;
          const chunk = bytes.subarray(fromByte, endByte);
          const waits: Array<Promise<void>> = [];
          for (const t of targets) {
            const sock = (t.ws as unknown as { _socket: import('node:net').Socket })._socket;
            if (sock.destroyed) continue;
            if (!sock.write(chunk)) {
              waits.push(
                new Promise((r) => {
                  const done = (): void => {
                    sock.off('drain', done);
                    sock.off('close', done);
                    r();
                  };
                  sock.on('drain', done);
                  sock.on('close', done);
                }),
              );
            }
          }
          const now = performance.now();
          if (from === 0) firstSentAt = now;
          for (let i = from; i <= to; i++) {
            sentAt[i] = now;
            if (keep) list.push(batch.messages[i] as StoredBenchMessage);
          }
          sent = to + 1;
          from = to + 1;
          fromByte = endByte;
          if (waits.length) await Promise.all(waits);
        }
        return { sent, firstSentAt, lastSentAt: sent > 0 ? (sentAt[sent - 1] ?? 0) : 0, sentAt };
      }
      while (sent < count) {
        if (o.signal?.aborted) break;
        if (o.rate !== undefined) {
          const owed = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * o.rate) + 1);
          if (sent >= owed) {
            await new Promise((r) => setTimeout(r, 2));
            continue;
          }
        } else if (socketsOf(room).some((s) => s.ws.bufferedAmount > maxBuffered)) {
          await yieldNow();
          continue;
        }
        if (o.beforeEach) await o.beforeEach(sent);
        if (keep) list.push(batch.messages[sent] as StoredBenchMessage);
        const frame = batch.frames[sent] as string;
        for (const s of socketsOf(room)) if (s.ws.readyState === 1) s.ws.send(frame);
        const now = performance.now();
        if (sent === 0) firstSentAt = now;
        sentAt[sent] = now;
        sent++;
        // Let I/O run now and then so that sockets drain and clients connect.
        if (o.rate === undefined && sent % 256 === 0) await yieldNow();
      }
      return { sent, firstSentAt, lastSentAt: sent > 0 ? (sentAt[sent - 1] ?? 0) : 0, sentAt };
    },
    raw: (room, frame) => broadcast(room, frame),
    drop(room, how) {
      let n = 0;
      for (const s of socketsOf(room)) {
        n++;
        if (how === 'terminate') s.ws.terminate();
        else s.ws.close(how, 'bench drop');
        open.delete(s);
      }
      return n;
    },
    async close() {
      for (const s of open) s.ws.terminate();
      open.clear();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
