/**
 * A test server of the Python ChatAPI (facts §B3–B5; `app/sockets/sockets.py` and
 * `app/api/api_v1/routes/{room,message,utils}.py` at 365bef1) on the official `socket.io` server —
 * a real implementation of Engine.IO v4 / Socket.IO v5, as python-socketio 5 speaks it — at path
 * `/sockets/`, and `node:http` for REST `/api/v1` with `Authorization: Bearer` only (FastAPI
 * HTTPBearer: a missing header 403 `{"detail":"Not authenticated"}`, an unknown key 401
 * `{"detail":"Invalid API key"}`), bare bodies. As the Python handlers: `connect` refuses a missing
 * field or an unknown key (the client's `connect_error`); a scoped key replaces the user id; a second
 * connection of the same user disconnects the older; the socket is put in `room:<id>` of every
 * membership; `user_online`/`user_offline` go to every socket; events with no argument (`get_rooms`,
 * `ping`, `online_users`) answer only when called without one; REST sends are never pushed.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server, type Socket } from 'socket.io';

export interface PyRoom {
  id: string;
  name: string;
  description?: string;
  members: string[];
}

export interface PyMessage {
  id: string;
  room_id: string;
  content: string;
  content_type: string;
  sender_user_id: string;
  sender_display_name: string;
  is_edited: boolean;
  is_deleted: boolean;
  created_at: string;
  edited_at: string | null;
}

export interface PyRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** `datetime.isoformat()` of a timezone-aware UTC time: microseconds and `+00:00`. */
const pyIso = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');

export async function startSocketIoServer(opts: { rooms: PyRoom[]; keys?: Record<string, string> }) {
  /** API key → the user of a scoped key ('' for the master key: the client's user id is trusted). */
  const keys = new Map(Object.entries(opts.keys ?? { 'scoped-key-alice': 'alice', 'master-key-0': '' }));
  const rooms = new Map(opts.rooms.map((r) => [r.id, { ...r }]));
  const messages = new Map<string, PyMessage[]>(opts.rooms.map((r) => [r.id, []]));
  const requests: PyRequest[] = [];
  const events: { user: string; event: string; args: unknown[] }[] = [];
  let accepted = 0;
  let brokenHistory = false;
  let storeThenFail: 'drop' | 'no-echo' | undefined;
  let last = 0;
  /** created_at strictly increasing (the Python query orders by it). */
  const stamp = (): string => {
    const now = Math.max(Date.now(), last + 1);
    last = now;
    return pyIso(new Date(now));
  };
  const wire = (m: PyMessage) => ({
    message_id: m.id, room_id: m.room_id, content: m.content, content_type: m.content_type, sender_user_id: m.sender_user_id, sender_display_name: m.sender_display_name,
    file_url: null, file_name: null, file_size: null, file_mime_type: null, reply_to_id: null, is_edited: m.is_edited, created_at: m.created_at,
  });
  const read = (m: PyMessage) => ({ ...m, file_url: null, file_name: null, file_size: null, file_mime_type: null, reply_to_id: null, updated_at: null, reply_to: null, replies: [] });
  function store(room: string, user: string, name: string, content: string): PyMessage {
    const m: PyMessage = { id: randomUUID(), room_id: room, content, content_type: 'text', sender_user_id: user, sender_display_name: name, is_edited: false, is_deleted: false, created_at: stamp(), edited_at: null };
    messages.get(room)?.push(m);
    return m;
  }
  /** MessageService.get_room_messages: newest `limit` (after `offset`) before the cursor's time, returned oldest first. */
  function newest(room: string, limit: number, offset: number, before?: string): PyMessage[] {
    let list = (messages.get(room) ?? []).filter((m) => !m.is_deleted);
    const b = before ? list.find((m) => m.id === before) : undefined;
    if (b) list = list.filter((m) => m.created_at < b.created_at);
    const desc = [...list].reverse().slice(offset, offset + limit);
    return desc.reverse();
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
      const send = (status: number, b: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(b));
      };
      if (url.pathname === '/api/v1/utils/health-check/') return send(200, true);
      if (!url.pathname.startsWith('/api/v1/')) return send(404, { detail: 'Not Found' });
      const hdr = req.headers.authorization ?? '';
      if (!hdr.startsWith('Bearer ')) return send(403, { detail: 'Not authenticated' });
      const key = hdr.slice(7);
      if (!keys.has(key)) return send(401, { detail: 'Invalid API key' });
      const user = keys.get(key) || 'client-1';
      const p = url.pathname.slice('/api/v1'.length);
      if (req.method === 'GET' && p === '/rooms/') return send(200, [...rooms.values()].filter((r) => r.members.includes(user)).map((r) => ({ name: r.name, description: r.description ?? null, room_type: 'group', max_members: 100, id: r.id, client_id: 'c1', created_by_user_id: 'x', is_active: true, created_at: pyIso(), updated_at: pyIso(), last_message_at: null, deactivated_reason: null, deactivated_at: null })));
      let m = /^\/rooms\/([^/]+)\/members$/.exec(p);
      if (req.method === 'GET' && m) {
        const r = rooms.get(decodeURIComponent(m[1]!));
        if (!r) return send(404, { detail: 'Room not found' });
        return send(200, r.members.map((u) => ({ user_id: u, display_name: u === 'bob' ? 'Bob' : u, role: 'member', id: randomUUID(), room_id: r.id, joined_at: pyIso(), left_at: null, is_active: true, last_read_message_id: null, last_read_at: null })));
      }
      m = /^\/messages\/rooms\/([^/]+)$/.exec(p);
      if (req.method === 'GET' && m && brokenHistory) return send(500, { detail: 'Internal Server Error' }); // MissingGreenlet (facts §B3 "Caution")
      if (req.method === 'GET' && m) {
        const limit = Number(url.searchParams.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return send(422, { detail: [{ loc: ['query', 'limit'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal' }] });
        return send(200, newest(decodeURIComponent(m[1]!), limit, Number(url.searchParams.get('offset') ?? 0), url.searchParams.get('before_message_id') ?? undefined).map(read));
      }
      m = /^\/rooms\/([^/]+)$/.exec(p);
      if (req.method === 'PUT' && m) {
        // routes/room.py PUT /rooms/{id} RoomUpdate: owner or admin only (here: the first member), otherwise 403
        const r = rooms.get(decodeURIComponent(m[1]!));
        if (!r) return send(404, { detail: 'Room not found' });
        if (r.members[0] !== user) return send(403, { detail: 'Only room owners and admins can update the room' });
        const d = (body as { description?: unknown } | undefined)?.description;
        if (typeof d === 'string') r.description = d;
        return send(200, { id: r.id, name: r.name, description: r.description ?? null, room_type: 'group', is_active: true });
      }
      m = /^\/messages\/([^/]+)$/.exec(p);
      if (m && (req.method === 'PUT' || req.method === 'DELETE')) {
        // routes/message.py: PUT {content} → MessageRead, DELETE → soft delete; the sender is not checked; nothing is pushed
        const id = decodeURIComponent(m[1]!);
        const msg = [...messages.values()].flat().find((x) => x.id === id && !x.is_deleted);
        if (!msg) return send(404, { detail: req.method === 'PUT' ? 'Message not found or cannot be edited' : 'Message not found' });
        if (req.method === 'DELETE') {
          msg.is_deleted = true;
          return send(200, { success: true, message: 'Message deleted successfully', data: { message_id: id } });
        }
        msg.content = String((body as { content?: unknown } | undefined)?.content ?? '');
        msg.is_edited = true;
        msg.edited_at = stamp();
        return send(200, read(msg));
      }
      if (req.method === 'POST' && p === '/messages/') {
        const b = body as { room_id?: unknown; content?: unknown } | undefined;
        if (!b || typeof b.room_id !== 'string' || !rooms.has(b.room_id)) return send(422, { detail: [{ loc: ['body', 'room_id'], msg: 'Field required', type: 'missing' }] });
        return send(200, read(store(b.room_id, user, user, String(b.content ?? ''))));
      }
      return send(404, { detail: 'Not Found' });
    });
  });

  const io = new Server(server, { path: '/sockets', serveClient: false, perMessageDeflate: { threshold: 0 } });
  const users = new Map<string, { user: string; name: string }>();
  const open = (): Socket[] => [...io.sockets.sockets.values()];

  io.use((socket, next) => {
    const a = socket.handshake.auth as { api_key?: unknown; user_id?: unknown; display_name?: unknown };
    // sockets.py connect: both fields required, the key master or scoped, else disconnect + return False
    if (typeof a.user_id !== 'string' || typeof a.api_key !== 'string' || !a.user_id || !keys.has(a.api_key)) return next(new Error('Connection rejected by server'));
    const scoped = keys.get(a.api_key);
    const user = scoped || a.user_id;
    users.set(socket.id, { user, name: scoped ? scoped : typeof a.display_name === 'string' ? a.display_name : user });
    next();
  });

  io.on('connection', (socket) => {
    accepted++;
    const me = users.get(socket.id)!;
    for (const s of open()) if (s !== socket && users.get(s.id)?.user === me.user) s.disconnect(true);
    for (const r of rooms.values()) if (r.members.includes(me.user)) void socket.join(`room:${r.id}`);
    io.emit('user_online', { user_id: me.user, client_id: 'c1' });
    socket.emit('connected', { user_id: me.user, client_id: 'c1', display_name: me.name });
    socket.onAny((event: string, ...args: unknown[]) => events.push({ user: me.user, event, args }));
    const data = (args: unknown[]): Record<string, unknown> => (args[0] && typeof args[0] === 'object' ? (args[0] as Record<string, unknown>) : {});
    const member = (room: unknown): boolean => typeof room === 'string' && (rooms.get(room)?.members.includes(me.user) ?? false);
    socket.on('join_room', (...args: unknown[]) => {
      const room = data(args).room_id;
      if (!room) return socket.emit('error', { message: 'room_id required' });
      if (!member(room)) return socket.emit('error', { message: 'Access denied to room' });
      void socket.join(`room:${room}`);
      socket.to(`room:${room}`).emit('user_joined_room', { user_id: me.user, display_name: me.name, room_id: room });
      socket.emit('room_joined', { room_id: room });
    });
    socket.on('leave_room', (...args: unknown[]) => {
      const room = data(args).room_id;
      void socket.leave(`room:${room}`);
      io.to(`room:${room}`).emit('user_left_room', { user_id: me.user, display_name: me.name, room_id: room });
      socket.emit('room_left', { room_id: room });
    });
    socket.on('get_rooms', (...args: unknown[]) => {
      if (args.length !== 0) return; // a TypeError in the Python handler: no reply (facts §B4)
      socket.emit('rooms', { rooms: [...rooms.values()].filter((r) => r.members.includes(me.user)).map((r) => ({ room_id: r.id, name: r.name, description: r.description ?? null, room_type: 'group', member_count: r.members.length, last_message_at: null })) });
    });
    socket.on('send_message', (...args: unknown[]) => {
      const d = data(args);
      if (!d.room_id) return socket.emit('error', { message: 'room_id required' });
      if (!member(d.room_id)) return socket.emit('error', { message: 'Access denied to room' });
      const stored = store(String(d.room_id), me.user, me.name, String(d.content ?? ''));
      const failing = storeThenFail;
      storeThenFail = undefined;
      if (failing === 'drop') return void (socket.conn as unknown as { transport: { socket?: { terminate(): void } } }).transport.socket?.terminate();
      if (failing === 'no-echo') return void socket.to(`room:${d.room_id}`).emit('message', wire(stored)); // everyone but the sender
      io.to(`room:${d.room_id}`).emit('message', wire(stored));
    });
    socket.on('get_messages', (...args: unknown[]) => {
      const d = data(args);
      if (!member(d.room_id)) return socket.emit('error', { message: 'Access denied to room' });
      const limit = typeof d.limit === 'number' ? d.limit : 50;
      const offset = typeof d.offset === 'number' ? d.offset : 0;
      const list = newest(String(d.room_id), limit, offset).map((m) => ({ ...wire(m), is_deleted: m.is_deleted, edited_at: m.edited_at }));
      socket.emit('messages', { room_id: d.room_id, messages: list, limit, offset });
    });
    for (const ev of ['typing_start', 'typing_stop']) {
      socket.on(ev, (...args: unknown[]) => {
        const room = data(args).room_id;
        if (member(room)) socket.to(`room:${room}`).emit(ev, { user_id: me.user, display_name: me.name, room_id: room });
      });
    }
    socket.on('ping', (...args: unknown[]) => {
      if (args.length === 0) socket.emit('pong', {});
    });
    socket.on('online_users', (...args: unknown[]) => {
      if (args.length === 0) socket.emit('online_users', { users: open().map((s) => users.get(s.id)?.user).filter(Boolean) });
    });
    socket.on('disconnect', () => {
      users.delete(socket.id);
      io.emit('user_offline', { user_id: me.user, client_id: 'c1' });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Every event a client emitted, with its user. */
    events,
    messages,
    rooms,
    accepted: () => accepted,
    open,
    /** `user`'s message as a `send_message` of theirs does: stored, pushed to the room. */
    post(room: string, user: string, name: string, content: string): PyMessage {
      const m = store(room, user, name, content);
      io.to(`room:${room}`).emit('message', wire(m));
      return m;
    },
    /** Stored only (as a REST send: never pushed, facts §B3). */
    store: (room: string, user: string, name: string, content: string): PyMessage => store(room, user, name, content),
    typing: (room: string, user: string, name: string, on: boolean) => io.to(`room:${room}`).emit(on ? 'typing_start' : 'typing_stop', { user_id: user, display_name: name, room_id: room }),
    online: (user: string) => io.emit('user_online', { user_id: user, client_id: 'c1' }),
    offline: (user: string) => io.emit('user_offline', { user_id: user, client_id: 'c1' }),
    /** Any event with any payload to every socket (hostile input). */
    push: (event: string, ...args: unknown[]) => io.emit(event, ...args),
    /** A raw Engine.IO message (a Socket.IO packet as text, `2[…]` an event) to every socket, past the server's encoder (it cannot encode 10,000-deep nesting). */
    raw(packet: string) {
      for (const s of open()) s.conn.write(packet);
    },
    /** Drops every connection: `kick` as the server's disconnect, else the transport cut (no close). */
    drop(kick = false) {
      for (const s of open()) {
        if (kick) s.disconnect(true);
        else (s.conn as unknown as { transport: { socket?: { terminate(): void }; ws?: { terminate(): void } } }).transport.socket?.terminate();
      }
    },
    /** One-shot: the next `send_message` is stored, then the sender's connection is cut before its echo (`'drop'`), or the sender gets no echo (`'no-echo'`). */
    storeThenFail(mode: 'drop' | 'no-echo') {
      storeThenFail = mode;
    },
    /** REST history answers 500 from now on (`true`), as a MessageRead serialisation that fails would. */
    breakHistory(on: boolean) {
      brokenHistory = on;
    },
    async close() {
      io.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type SocketIoTestServer = Awaited<ReturnType<typeof startSocketIoServer>>;
