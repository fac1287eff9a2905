/**
 * A test server of the Go ChatAPI (`hastenr/chatapi` at HEAD, facts §B6 and its addendum), written from
 * its handlers byte for byte where the client can see it: `internal/handlers/rest/handler.go`
 * (`{"error","message"}` JSON errors, `{"rooms":[…]}`, `{"members":[…]|null}`, `{"messages":[…]|null}`
 * ordered by seq with `after_seq`/`limit` 1..100 else 50, 204 on DELETE), `internal/transport/server.go`
 * (routes, 429 `Retry-After: 1` on POST messages), `internal/handlers/ws/handler.go` (auth before the
 * upgrade: plain-text 401 from `http.Error`; 1008 "connection limit reached" past 5 sockets; frames
 * `send_message`, `ack`, `typing.start|stop`, `ping` answered by nothing) and
 * `internal/services/realtime/service.go` (`presence.update` to every socket, offline after a grace
 * time; room frames only to the room's members). `auth: 'apikey'` is the tenant era (v0.1.6):
 * `X-API-Key` + `X-User-Id`, plain-text errors. Real `ws` + `node:http` on 127.0.0.1, port 0.
 */
import http from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

export interface V2Room {
  room_id: string;
  type: 'dm' | 'group';
  name?: string;
  members: string[];
}

export interface V2Message {
  message_id: string;
  chatroom_id: string;
  sender_id: string;
  seq: number;
  content: string;
  meta?: string;
  created_at: string;
}

export interface V2Socket {
  ws: WebSocket;
  userId: string;
  headers: http.IncomingHttpHeaders;
  url: string;
  frames: unknown[];
  closed: boolean;
}

export interface V2Request {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

const SECRET = 'test-jwt-secret';
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
/** An HS256 JWT with `sub` (internal/auth/jwt.go). */
export function signJwt(sub: string, secret = SECRET): string {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
function verifyJwt(token: string): string | undefined {
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig || createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url') !== sig) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

export async function startV2Server(opts: { rooms: V2Room[]; auth?: 'jwt' | 'apikey'; apiKey?: string; offlineGraceMs?: number }) {
  const auth = opts.auth ?? 'jwt';
  const apiKey = opts.apiKey ?? 'tenant-key-0123456789';
  const rooms = new Map(opts.rooms.map((r) => [r.room_id, { ...r, last_seq: 0, created_at: new Date().toISOString() }]));
  const messages = new Map<string, V2Message[]>(opts.rooms.map((r) => [r.room_id, []]));
  const sockets: V2Socket[] = [];
  const requests: V2Request[] = [];
  let limited = 0;
  let storeThenFail: { mode: '500' | 'drop'; broadcast: boolean } | undefined;
  let dropNow = false;
  let refuse: { count: number; status: number; headers?: Record<string, string> } | undefined;

  const open = (user?: string): V2Socket[] => sockets.filter((s) => !s.closed && s.ws.readyState === 1 && (user === undefined || s.userId === user));
  const toRoom = (room: string, frame: unknown): void => {
    const members = rooms.get(room)?.members ?? [];
    const text = JSON.stringify(frame);
    for (const s of open()) if (members.includes(s.userId)) s.ws.send(text);
  };
  const toAll = (frame: unknown): void => {
    const text = JSON.stringify(frame);
    for (const s of open()) s.ws.send(text);
  };
  /** Go's `time.Time` JSON: RFC 3339 with nanoseconds; the ws handler formats `2006-01-02T15:04:05Z07:00`. */
  const nowGo = (): string => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  function store(room: string, sender: string, content: string, meta?: string, broadcast = true): V2Message {
    const r = rooms.get(room)!;
    r.last_seq++;
    const m: V2Message = { message_id: randomUUID(), chatroom_id: room, sender_id: sender, seq: r.last_seq, content, created_at: nowGo() };
    if (meta) m.meta = meta;
    messages.get(room)!.push(m);
    const frame: Record<string, unknown> = { type: 'message', room_id: room, seq: m.seq, message_id: m.message_id, sender_id: sender, content, created_at: m.created_at.replace(/\.\d+Z$/, 'Z') };
    if (meta) frame.meta = meta;
    if (broadcast) toRoom(room, frame);
    return m;
  }

  /** The user of a request, or the error answer (rest AuthMiddleware; ws authenticate). */
  function who(req: http.IncomingMessage, url: URL, ws: boolean): string | { status: number; text: string; json: boolean } {
    if (auth === 'apikey') {
      const key = req.headers['x-api-key'];
      const user = (req.headers['x-user-id'] as string | undefined) || (ws ? url.searchParams.get('user_id') ?? '' : '');
      if (!key || (ws && !user)) return { status: 401, text: ws ? 'Missing authentication' : 'Missing X-API-Key header', json: false };
      if (key !== apiKey) return { status: 401, text: ws ? 'Invalid authentication' : 'Invalid API key', json: false };
      if (!user) return { status: 400, text: 'Missing X-User-Id header', json: false };
      return user;
    }
    const hdr = req.headers.authorization ?? '';
    const token = (ws ? url.searchParams.get('token') : null) || (hdr.startsWith('Bearer ') ? hdr.slice(7) : '');
    if (!token) return ws ? { status: 401, text: 'Missing authentication', json: false } : { status: 401, text: JSON.stringify({ error: 'unauthorized', message: 'Missing or invalid Authorization header' }), json: true };
    const sub = verifyJwt(token);
    if (!sub) return ws ? { status: 401, text: 'Invalid token', json: false } : { status: 401, text: JSON.stringify({ error: 'unauthorized', message: 'Invalid token' }), json: true };
    return sub;
  }

  const err = (code: string, message: string, status: number) => ({ status, body: auth === 'jwt' ? { error: code, message } : message });

  function route(method: string, url: URL, body: unknown, user: string): { status: number; body?: unknown; headers?: Record<string, string> } {
    const p = url.pathname;
    if (method === 'GET' && p === '/rooms') return { status: 200, body: { rooms: [...rooms.values()].filter((r) => r.members.includes(user)).map(({ members: _m, ...r }) => r) } };
    const m = /^\/rooms\/([^/]+)(\/members|\/messages)?(?:\/([^/]+))?$/.exec(p);
    if (!m) return { status: 404, body: '404 page not found\n' };
    const room = rooms.get(decodeURIComponent(m[1]!));
    if (!m[2] && method === 'GET') return room ? { status: 200, body: (({ members: _m, ...r }) => r)(room) } : err('not_found', 'Room not found', 404);
    if (m[2] === '/members' && method === 'GET') return { status: 200, body: { members: room ? room.members.map((u) => ({ chatroom_id: room.room_id, user_id: u, role: 'member', joined_at: room.created_at })) : null } };
    if (m[2] === '/messages' && !m[3] && method === 'GET') {
      const after = Number.parseInt(url.searchParams.get('after_seq') ?? '0', 10) || 0;
      const lim = Number.parseInt(url.searchParams.get('limit') ?? '', 10);
      const limit = lim > 0 && lim <= 100 ? lim : 50;
      const list = (room ? messages.get(room.room_id)! : []).filter((x) => after <= 0 || x.seq > after).slice(0, limit);
      return { status: 200, body: { messages: list.length ? list : null } };
    }
    if (m[2] === '/messages' && !m[3] && method === 'POST') {
      if (limited > 0) {
        limited--;
        return { status: 429, body: { error: 'rate_limited', message: 'too many requests' }, headers: { 'retry-after': '1' } };
      }
      const b = body as { content?: unknown; meta?: unknown } | undefined;
      if (!b || typeof b.content !== 'string') return err('invalid_request', 'Invalid JSON', 400);
      if (b.content === '') return err('invalid_request', 'content is required', 400);
      if (!room) return err('internal_error', 'Failed to send message', 500);
      const failing = storeThenFail;
      storeThenFail = undefined;
      const stored = store(room.room_id, user, b.content, typeof b.meta === 'string' ? b.meta : undefined, failing?.broadcast ?? true);
      if (failing?.mode === 'drop') dropNow = true;
      if (failing?.mode === '500') return err('internal_error', 'Failed to send message', 500);
      return { status: 200, body: stored };
    }
    return { status: 404, body: '404 page not found\n' };
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
      if (url.pathname === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`${JSON.stringify({ db_writable: true, status: 'ok', uptime: '1m0s' })}\n`);
      }
      const u = who(req, url, false);
      if (typeof u !== 'string') {
        res.writeHead(u.status, { 'content-type': u.json ? 'application/json' : 'text/plain; charset=utf-8' });
        return res.end(`${u.text}\n`);
      }
      const a = route(req.method ?? 'GET', url, body, u);
      if (dropNow) {
        dropNow = false;
        return void req.socket.destroy();
      }
      const text = a.body === undefined ? '' : typeof a.body === 'string' ? `${a.body}\n` : `${JSON.stringify(a.body)}\n`;
      res.writeHead(a.status, { 'content-type': typeof a.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...a.headers });
      res.end(text);
    });
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const deny = (status: number, text: string, headers: Record<string, string> = {}): void => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}Content-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`);
    };
    if (url.pathname !== '/ws') return deny(404, '404 page not found');
    if (refuse && refuse.count > 0) {
      refuse.count--;
      return deny(refuse.status, http.STATUS_CODES[refuse.status] ?? 'refused', refuse.headers);
    }
    const u = who(req, url, true);
    if (typeof u !== 'string') return deny(u.status, u.text);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const rec: V2Socket = { ws, userId: u, headers: req.headers, url: req.url ?? '', frames: [], closed: false };
      if (open(u).length >= 5) {
        ws.close(1008, 'connection limit reached');
        return;
      }
      sockets.push(rec);
      toAll({ type: 'presence.update', user_id: u, status: 'online', timestamp: Math.floor(Date.now() / 1000) });
      ws.on('error', () => {});
      ws.on('close', () => {
        rec.closed = true;
        setTimeout(() => {
          if (open(u).length === 0) toAll({ type: 'presence.update', user_id: u, status: 'offline', timestamp: Math.floor(Date.now() / 1000) });
        }, opts.offlineGraceMs ?? 50);
      });
      ws.on('message', (data) => {
        let f: { type?: unknown; data?: Record<string, unknown> } | undefined;
        try {
          f = JSON.parse(data.toString()) as typeof f;
        } catch {
          f = undefined;
        }
        rec.frames.push(f);
        if (!f || typeof f !== 'object') return;
        const d = f.data && typeof f.data === 'object' ? f.data : undefined;
        const room = typeof d?.room_id === 'string' ? d.room_id : undefined;
        if (f.type === 'send_message' && room && typeof d?.content === 'string' && rooms.has(room)) store(room, u, d.content);
        else if ((f.type === 'typing.start' || f.type === 'typing.stop') && room) toRoom(room, { type: 'typing', room_id: room, user_id: u, action: f.type.slice(7) });
        else if (f.type === 'ack' && room && typeof d?.seq === 'number') toRoom(room, { type: 'ack.received', room_id: room, seq: d.seq, user_id: u });
      });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    sockets,
    requests,
    messages,
    rooms,
    /** The credential of `user`: a JWT (HEAD) or the tenant key (then the profile carries the user id). */
    token: (user: string): string => (auth === 'jwt' ? signJwt(user) : apiKey),
    open,
    /** A message by `sender` (over REST, as the handler does: stored and broadcast). */
    post: (room: string, sender: string, content: string, meta?: string): V2Message => store(room, sender, content, meta),
    /** An edit by its sender (rest HandleEditMessage: broadcast `message.edited`). */
    edit(room: string, id: string, content: string) {
      const m = messages.get(room)?.find((x) => x.message_id === id);
      if (!m) return;
      m.content = content;
      toRoom(room, { type: 'message.edited', room_id: room, message_id: id, content, seq: m.seq, sender_id: m.sender_id });
    },
    /** A delete (rest HandleDeleteMessage: the row goes, broadcast `message.deleted`). */
    remove(room: string, id: string) {
      const list = messages.get(room) ?? [];
      const i = list.findIndex((x) => x.message_id === id);
      if (i < 0) return;
      const [m] = list.splice(i, 1);
      toRoom(room, { type: 'message.deleted', room_id: room, message_id: id, seq: m!.seq });
    },
    typing: (room: string, user: string, on: boolean) => toRoom(room, { type: 'typing', room_id: room, user_id: user, action: on ? 'start' : 'stop' }),
    presence: (user: string, status: 'online' | 'offline') => toAll({ type: 'presence.update', user_id: user, status, timestamp: Math.floor(Date.now() / 1000) }),
    /** A raw frame to every socket (string as is, Buffer binary). */
    push(frame: unknown) {
      for (const s of open()) s.ws.send(Buffer.isBuffer(frame) ? frame : typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    /** Drops every socket: terminate (1006) or close with `code`. */
    drop(code?: number, reason = '') {
      for (const s of open()) code === undefined ? s.ws.terminate() : s.ws.close(code, reason);
    },
    /** One-shot: the next POST of a message is stored (and broadcast unless `broadcast` is false), then answered HTTP 500 (`'500'`) or not at all, the connection dropped (`'drop'`). */
    storeThenFail(mode: '500' | 'drop', o?: { broadcast?: boolean }) {
      storeThenFail = { mode, broadcast: o?.broadcast ?? true };
    },
    /** The next `count` POSTs of messages answer 429 with `Retry-After: 1` (transport/server.go rateLimited). */
    rateLimit(count: number) {
      limited = count;
    },
    /** The next `count` upgrades are answered with HTTP `status`. */
    refuseUpgrades(count: number, status: number, headers?: Record<string, string>) {
      refuse = { count, status, ...(headers ? { headers } : {}) };
    },
    async close() {
      for (const s of sockets) s.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type V2TestServer = Awaited<ReturnType<typeof startV2Server>>;
