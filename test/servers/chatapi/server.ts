/**
 * A chatapi test server speaking "Doc B" (../shared/protocols/chatapi.seed.md) byte for byte, with the
 * REST shapes of chatapi.facts.md §B2: WebSocket `/ws/{room_id}?token=&user_id=&user_name=` with typed
 * envelopes `{"type","data","timestamp","room_id"}`, close codes 4001–4004, `ping`→`pong`,
 * `get_online_users`→`connection_status`; REST `/api/v1` with `X-API-Key` or `Authorization: Bearer`,
 * enveloped `{"data":…,"status":"success"}` (or bare bodies when `bare` is set) and the two documented
 * error shapes. Real `ws` + `node:http` on 127.0.0.1, port 0. Hooks for tests: drop sockets, push raw
 * frames, rate-limit REST, refuse sockets with a code, go silent (no pongs), inspect what was received.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestRoom {
  id: string;
  name: string;
  description?: string;
  /** Only these users may connect (4003 otherwise). */
  private?: string[];
}

export interface StoredMsg {
  id: string;
  room_id: string;
  sender_id: string;
  sender_name: string;
  content: string;
  message_type: string;
  meta: Record<string, unknown>;
  created_at: string;
  updated_at: string | null;
  edited_at: string | null;
  is_deleted: boolean;
}

/** One socket the client opened. `frames` are the parsed text frames it sent (undefined for non-JSON). */
export interface SocketRecord {
  ws: WebSocket;
  room: string;
  query: Record<string, string>;
  frames: unknown[];
  closed: { code: number } | undefined;
  /** The client's Sec-WebSocket-Extensions header (the server offers permessage-deflate). */
  extensions: string | undefined;
  /** Date.now() when the upgrade was accepted. */
  openedAt: number;
  userId: string;
  userName: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface ChatApiTestServer {
  url: string;
  port: number;
  apiKey: string;
  sockets: SocketRecord[];
  requests: RequestRecord[];
  messages: Map<string, StoredMsg[]>;
  /** Answer REST with bare bodies (the real server, facts §B3) instead of the documented envelope. */
  bare: boolean;
  /** Error body shape: `{"error":{code,message},"status":"error"}` or `{"detail","error_code","status_code","timestamp"}` (facts §B2). */
  errorShape: 'error' | 'detail';
  /** Do not answer `ping` (to test liveness). */
  silent: boolean;
  openSockets(room?: string): SocketRecord[];
  /** A message from someone else: stored and broadcast as `message`. */
  post(room: string, fields: { sender_id: string; sender_name: string; content: string; id?: string; meta?: Record<string, unknown> }, opts?: { broadcast?: boolean }): StoredMsg;
  edit(room: string, id: string, content: string): void;
  remove(room: string, id: string): void;
  typing(room: string, userId: string, userName: string, on: boolean): void;
  join(room: string, userId: string, userName: string): void;
  leave(room: string, userId: string, userName: string): void;
  notify(room: string, title: string, content: string): void;
  /** Sends a raw frame to every socket of a room (string as text; Buffer as binary unless `text`). */
  push(room: string, frame: unknown, opts?: { binary?: boolean }): void;
  /** Drops the sockets of a room (all rooms when undefined): terminate (1006 at the client) or close with `code`. */
  drop(room?: string, code?: number, reason?: string): void;
  /** The next `count` REST requests (of `method`, when given) answer 429 with `Retry-After: retryAfterS`. */
  rateLimit(count: number, retryAfterS?: number, method?: string): void;
  /** The next `count` REST requests answer 307 with `Location: base + path` (relative when base is ''). */
  redirect(count: number, base: string): void;
  /**
   * One-shot: the next message POST is stored (and broadcast unless `broadcast` is false), then answered
   * HTTP 500 (`'500'`) or not at all, the connection dropped (`'drop'`): a send that failed after the server had it.
   * `store: false`: the same failure without storing (a send that is not on the server).
   */
  storeThenFail(mode: '500' | 'drop', opts?: { broadcast?: boolean; store?: boolean }): void;
  /** The next `count` sockets are closed right after the upgrade with `code` (4001…4004, 1011…). */
  refuseSockets(count: number, code: number, reason?: string): void;
  close(): Promise<void>;
}

const iso = (): string => new Date().toISOString();

/** Starts the server. `rooms` are the rooms that exist; `apiKey` the one key it accepts. */
export async function startChatApiServer(opts: { rooms: TestRoom[]; apiKey?: string } = { rooms: [] }): Promise<ChatApiTestServer> {
  const apiKey = opts.apiKey ?? 'sk_test_1234567890abcdef';
  const rooms = new Map(opts.rooms.map((r) => [r.id, r]));
  const messages = new Map<string, StoredMsg[]>(opts.rooms.map((r) => [r.id, []]));
  const sockets: SocketRecord[] = [];
  const requests: RequestRecord[] = [];
  let rateLimited = 0;
  let retryAfter = 1;
  let rateLimitMethod: string | undefined;
  let redirects: { count: number; base: string } | undefined;
  let refuse: { count: number; code: number; reason: string } | undefined;
  let storeThenFail: { mode: '500' | 'drop'; broadcast: boolean; store: boolean } | undefined;

  const envelope = (type: string, data: unknown, roomId: string): string =>
    JSON.stringify({ type, data, timestamp: iso(), room_id: roomId });
  const live = (room?: string): SocketRecord[] =>
    sockets.filter((s) => !s.closed && s.ws.readyState === 1 && (room === undefined || s.room === room));
  const broadcast = (room: string, text: string, except?: WebSocket): void => {
    for (const s of live(room)) if (s.ws !== except) s.ws.send(text);
  };
  const onlineIds = (room: string): string[] => [...new Set(live(room).map((s) => s.userId))];
  const status = (room: string, userId: string): string =>
    envelope('connection_status', { status: 'connected', user_id: userId, room_id: room, online_users: onlineIds(room), total_participants: onlineIds(room).length }, room);

  const api = {} as ChatApiTestServer;

  const ok = (data: unknown, code = 200): { status: number; body: unknown } => ({ status: code, body: api.bare ? data : { data, status: 'success' } });
  const fail = (code: number, errorCode: string, message: string): { status: number; body: unknown } => ({
    status: code,
    body:
      api.errorShape === 'detail'
        ? { detail: message, error_code: errorCode, status_code: code, timestamp: iso() }
        : { error: { code: errorCode, message }, status: 'error' },
  });

  function addMessage(room: string, f: { sender_id: string; sender_name: string; content: string; id?: string; meta?: Record<string, unknown>; message_type?: string }, broadcastIt = true): StoredMsg {
    const m: StoredMsg = {
      id: f.id ?? randomUUID(),
      room_id: room,
      sender_id: f.sender_id,
      sender_name: f.sender_name,
      content: f.content,
      message_type: f.message_type ?? 'text',
      meta: f.meta ?? {},
      created_at: iso(),
      updated_at: null,
      edited_at: null,
      is_deleted: false,
    };
    let list = messages.get(room);
    if (!list) messages.set(room, (list = []));
    list.push(m);
    if (broadcastIt) broadcast(room, envelope('message', m, room));
    return m;
  }

  function route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): { status: number; body: unknown; headers?: Record<string, string>; drop?: true } {
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'api' || parts[1] !== 'v1') return { status: 404, body: { detail: 'Not Found' } };
    if (redirects && redirects.count > 0) {
      redirects.count--;
      return { status: 307, body: {}, headers: { location: `${redirects.base}${url.pathname}${url.search}` } };
    }
    if (rateLimited > 0 && (rateLimitMethod === undefined || rateLimitMethod === method)) {
      rateLimited--;
      return { ...fail(429, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded'), headers: { 'retry-after': String(retryAfter) } };
    }
    if (headers['x-api-key'] !== apiKey && headers.authorization !== `Bearer ${apiKey}`) return fail(401, 'INVALID_CREDENTIALS', 'Invalid API key');
    if (parts[2] === 'rooms' && parts.length === 3 && method === 'GET') {
      return ok([...rooms.values()].map((r) => ({ id: r.id, name: r.name, description: r.description ?? null, is_active: true, participant_count: 0, message_count: messages.get(r.id)?.length ?? 0 })));
    }
    if (parts[2] === 'messages' && parts[3] && parts.length === 4 && (method === 'PUT' || method === 'DELETE')) {
      // Doc B's messages.md (facts §B2): PUT {content, meta} / DELETE /messages/{id}, pushed as message_updated / message_deleted
      const id = decodeURIComponent(parts[3]);
      const room = [...messages].find(([, list]) => list.some((m) => m.id === id && !m.is_deleted))?.[0];
      if (!room) return fail(404, 'MESSAGE_NOT_FOUND', 'Message not found');
      if (method === 'DELETE') {
        api.remove(room, id);
        return { status: 200, body: { message: 'Message deleted successfully', status: 'success' } };
      }
      const b = body as Record<string, unknown> | undefined;
      if (!b || typeof b.content !== 'string' || !b.content.trim()) return fail(422, 'VALIDATION_ERROR', 'content is required');
      api.edit(room, id, b.content);
      return ok(messages.get(room)!.find((m) => m.id === id));
    }
    if (parts[2] !== 'rooms' || !parts[3]) return { status: 404, body: { detail: 'Not Found' } };
    const room = decodeURIComponent(parts[3]);
    if (!rooms.has(room)) return fail(404, 'ROOM_NOT_FOUND', 'Room not found');
    if (parts.length === 4 && method === 'PUT') {
      // Doc B's rooms.md (facts §B2): PUT /rooms/{id} {name?, description?, meta?} → the room
      const b = body as Record<string, unknown> | undefined;
      const r = rooms.get(room)!;
      if (typeof b?.description === 'string') r.description = b.description;
      if (typeof b?.name === 'string') r.name = b.name;
      return ok({ id: r.id, name: r.name, description: r.description ?? null, is_active: true });
    }
    if (parts[4] === 'messages' && parts.length === 5 && method === 'POST') {
      const b = body as Record<string, unknown> | undefined;
      if (!b || typeof b.content !== 'string' || !b.content.trim()) return fail(422, 'VALIDATION_ERROR', 'content is required');
      if (b.content.length > 10_000) return fail(422, 'CONTENT_TOO_LONG', 'content too long');
      const fields = { sender_id: String(b.sender_id ?? 'anonymous'), sender_name: String(b.sender_name ?? b.sender_id ?? 'anonymous'), content: b.content, message_type: String(b.message_type ?? 'text') };
      const meta = b.meta !== null && typeof b.meta === 'object' && !Array.isArray(b.meta) ? { meta: b.meta as Record<string, unknown> } : {};
      const failing = storeThenFail;
      storeThenFail = undefined;
      if (failing?.store === false) return failing.mode === 'drop' ? { status: 0, body: undefined, drop: true } : fail(500, 'INTERNAL_ERROR', 'Internal server error');
      const m = addMessage(room, { ...fields, ...meta }, failing?.broadcast ?? true);
      if (failing) return failing.mode === 'drop' ? { status: 0, body: undefined, drop: true } : fail(500, 'INTERNAL_ERROR', 'Internal server error');
      return ok(m, 201);
    }
    if (parts[4] === 'messages' && parts.length === 5 && method === 'GET') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 100);
      const before = url.searchParams.get('before');
      const visible = (messages.get(room) ?? []).filter((m) => !m.is_deleted);
      let end = visible.length;
      if (before) {
        const i = visible.findIndex((m) => m.id === before);
        if (i >= 0) end = i;
      }
      return ok(visible.slice(Math.max(0, end - limit), end));
    }
    if (parts[4] === 'participants' && method === 'GET') {
      const ids = new Map<string, string>();
      for (const m of messages.get(room) ?? []) ids.set(m.sender_id, m.sender_name);
      for (const s of live(room)) ids.set(s.userId, s.userName);
      return ok([...ids].map(([user_id, user_name]) => ({ user_id, user_name, joined_at: iso(), meta: { role: 'member', joined_via: 'api' } })));
    }
    return { status: 404, body: { detail: 'Not Found' } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
      const answer = route(req.method ?? 'GET', url, body, req.headers);
      if (answer.drop) return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(JSON.stringify(answer.body));
    });
  });

  // Like many servers, this one would compress: the client must not ask for it.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/ws\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) {
      socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const room = decodeURIComponent(m[1] ?? '');
      const userId = url.searchParams.get('user_id') || `anon_${randomUUID().slice(0, 8)}`;
      const rec: SocketRecord = { ws, room, query: Object.fromEntries(url.searchParams), frames: [], closed: undefined, extensions: req.headers['sec-websocket-extensions'], openedAt: Date.now(), userId, userName: url.searchParams.get('user_name') || userId };
      sockets.push(rec);
      ws.on('close', (code) => {
        rec.closed = { code };
        if (!onlineIds(room).includes(userId)) broadcast(room, envelope('user_left', { user_id: userId, user_name: rec.userName, left_at: iso() }, room));
      });
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => {
        let frame: unknown;
        try {
          frame = isBinary ? undefined : JSON.parse(data.toString());
        } catch {
          frame = undefined;
        }
        rec.frames.push(frame);
        const f = frame as { type?: unknown; data?: { is_typing?: unknown } } | undefined;
        if (f?.type === 'typing') {
          broadcast(room, envelope('typing', { user_id: userId, user_name: rec.userName, is_typing: Boolean(f.data?.is_typing) }, room), ws);
        } else if (f?.type === 'get_online_users') {
          ws.send(status(room, userId));
        } else if (f?.type === 'ping' && !api.silent) {
          ws.send(envelope('pong', {}, room));
        } else if (frame === undefined) {
          ws.send(envelope('error', { message: 'Invalid JSON' }, room));
        }
      });
      if (refuse && refuse.count > 0) {
        refuse.count--;
        ws.close(refuse.code, refuse.reason);
        return;
      }
      if (url.searchParams.get('token') !== apiKey) return ws.close(4001, 'Unauthorized');
      const r = rooms.get(room);
      if (!r) return ws.close(4002, 'Room not found');
      if (r.private && !r.private.includes(userId)) return ws.close(4003, 'Room access denied');
      ws.send(status(room, userId));
      broadcast(room, envelope('user_joined', { user_id: userId, user_name: rec.userName, joined_at: iso(), meta: { role: 'member' } }, room), ws);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    sockets,
    requests,
    messages,
    bare: false,
    errorShape: 'error',
    silent: false,
    openSockets: live,
    post: (room: string, fields: Parameters<ChatApiTestServer['post']>[1], o?: { broadcast?: boolean }) => addMessage(room, fields, o?.broadcast ?? true),
    edit(room: string, id: string, content: string) {
      const m = messages.get(room)?.find((x) => x.id === id);
      if (!m) return;
      m.content = content;
      m.edited_at = iso();
      broadcast(room, envelope('message_updated', { id, content, edited_at: m.edited_at, edit_reason: 'Fixed typo' }, room));
    },
    remove(room: string, id: string) {
      const m = messages.get(room)?.find((x) => x.id === id);
      if (!m) return;
      m.is_deleted = true;
      broadcast(room, envelope('message_deleted', { id, deleted_by: 'user_456', deleted_at: iso() }, room));
    },
    typing: (room: string, userId: string, userName: string, on: boolean) =>
      broadcast(room, envelope('typing', { user_id: userId, user_name: userName, is_typing: on }, room)),
    join: (room: string, userId: string, userName: string) =>
      broadcast(room, envelope('user_joined', { user_id: userId, user_name: userName, joined_at: iso(), meta: { role: 'member' } }, room)),
    leave: (room: string, userId: string, userName: string) =>
      broadcast(room, envelope('user_left', { user_id: userId, user_name: userName, left_at: iso() }, room)),
    notify: (room: string, title: string, content: string) =>
      broadcast(room, envelope('notification', { id: randomUUID(), title, content, action_url: `/rooms/${room}`, priority: 'normal', icon: 'message' }, room)),
    push(room: string, frame: unknown, o?: { binary?: boolean }) {
      for (const s of live(room)) {
        if (Buffer.isBuffer(frame)) s.ws.send(frame, { binary: o?.binary ?? true });
        else s.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      }
    },
    drop(room?: string, code?: number, reason = '') {
      for (const s of live(room)) {
        if (code === undefined) s.ws.terminate();
        else s.ws.close(code, reason);
      }
    },
    rateLimit(count: number, retryAfterS = 1, method?: string) {
      rateLimited = count;
      rateLimitMethod = method;
      retryAfter = retryAfterS;
    },
    redirect(count: number, base: string) {
      redirects = { count, base };
    },
    storeThenFail(mode: '500' | 'drop', o?: { broadcast?: boolean; store?: boolean }) {
      storeThenFail = { mode, broadcast: o?.broadcast ?? true, store: o?.store ?? true };
    },
    refuseSockets(count: number, code: number, reason = '') {
      refuse = { count, code, reason };
    },
    async close() {
      for (const s of sockets) s.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return api;
}
