import http from 'node:http';
import os from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { EDIT_SUFFIXES, MENTION_REPLIES, PEOPLE, REPLIES, ROOMS, type DemoPerson, type DemoRoomSpec } from './content.js';

/**
 * The built-in demo server: an in-process chatapi server speaking "Doc B"
 * (../shared/protocols/chatapi.seed.md) with the REST shapes of chatapi.facts.md §B2, so that
 * `chat-tui demo` exercises the real chatapi connector. Offline and instant: nothing is read from disk or
 * the network, the history is generated in memory, and it listens on 127.0.0.1 at a free port.
 *
 * - WebSocket `/ws/{room_id}?token=&user_id=&user_name=`: typed envelopes `{"type","data","timestamp",
 *   "room_id"}`; `connection_status` on connect and for `get_online_users`, `pong` for `ping`, `typing`
 *   relayed to the others; close 4001 for a wrong token, 4002 for an unknown room.
 * - REST `/api/v1` (`X-API-Key` or `Authorization: Bearer`): `GET /rooms/`, `GET|POST /rooms/{id}/messages/`
 *   (`limit`, `before`), `PUT|DELETE /messages/{id}` (your own), `PUT /rooms/{id}` (the topic), `GET /rooms/{id}/online`, `GET /rooms/{id}/participants`, enveloped `{"data":…,"status":"success"}`; errors
 *   `{"error":{"code","message"},"status":"error"}`.
 * - Simulated users talk (typing first), join and leave, edit and delete, at a human pace multiplied by
 *   `pace`, and answer the demo user's messages, sometimes with an `@name` mention.
 */

/** A running demo server. `url` is the http base for a chatapi profile; `token` the API key it accepts. */
export interface DemoServer {
  url: string;
  port: number;
  token: string;
  userId: string;
  userName: string;
  /** Room ids (UUIDs), in order: general, random, help. */
  rooms: string[];
  close(): Promise<void>;
}

/**
 * Options: `port` (default 0 = any free port), `host` (default 127.0.0.1), `pace` (1 = human pace; larger
 * is faster), `token` (the API key to accept; default a fresh random one).
 */
export interface DemoServerOptions {
  token?: string;
  port?: number;
  host?: string;
  pace?: number;
}

interface Msg {
  id: string;
  room_id: string;
  sender_id: string;
  sender_name: string;
  content: string;
  message_type: 'text';
  meta: { mentions?: string[] };
  created_at: string;
  updated_at: string | null;
  edited_at: string | null;
  is_deleted: boolean;
}

interface Conn {
  ws: WebSocket;
  userId: string;
  userName: string;
}

interface RoomState {
  spec: DemoRoomSpec;
  messages: Msg[];
  /** Simulated users in the room now. */
  present: Set<string>;
  conns: Set<Conn>;
  next: number;
}

/** Messages kept per room (older ones are forgotten). */
const KEEP = 2000;
/** Biggest request body read, bytes. */
const MAX_BODY = 64 * 1024;

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** The name the demo calls its user: the login name when it is a plain word (not root), else "guest". */
function demoUserName(): string {
  try {
    const n = os.userInfo().username;
    if (/^[A-Za-z][A-Za-z0-9_.-]{0,30}$/.test(n) && n !== 'root') return n;
  } catch {
    // no passwd entry
  }
  return 'guest';
}

/**
 * Starts the demo server. Resolves once it listens (a few ms). Never touches the disk or the network
 * beyond its own socket. `close()` stops the simulation, drops every socket and the listener.
 */
export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const pace = opts.pace && opts.pace > 0 ? opts.pace : 1;
  const token = opts.token ?? `demo_${randomBytes(16).toString('hex')}`;
  const userId = 'demo_user';
  const userName = demoUserName();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const people = new Map(PEOPLE.map((p) => [p.id, p]));
  const welcomed = new Set<string>();

  /** Runs `fn` after `ms / pace` (human-pace ms), unless the server has closed. */
  const later = (ms: number, fn: () => void): void => {
    if (closed) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms / pace);
    t.unref();
    timers.add(t);
  };

  // ---------------------------------------------------------------- state and seeded history
  const rooms = new Map<string, RoomState>();
  const now = Date.now();
  for (const [ri, spec] of ROOMS.entries()) {
    const present = new Set(PEOPLE.filter((_, i) => (i + ri) % 3 !== 0).map((p) => p.id));
    const st: RoomState = { spec, messages: [], present, conns: new Set(), next: 0 };
    // The first room has more than one history page (the runtime loads 100 at a time), spread over
    // two days, so scrolling up fetches older history from the server and crosses a day separator.
    const count = ri === 0 ? 260 : 18 + ri * 3;
    const gap = ri === 0 ? 420_000 : 97_000;
    for (let i = 0; i < count; i++) {
      const who = pick([...present]);
      const person = people.get(who) as DemoPerson;
      const at = new Date(now - (count - i) * gap - Math.floor(Math.random() * 30_000)).toISOString();
      st.messages.push(makeMsg(spec.id, person, spec.lines[i % spec.lines.length] ?? 'hi', at));
    }
    st.next = count;
    rooms.set(spec.id, st);
  }

  function makeMsg(room: string, who: { id: string; name: string }, content: string, at = new Date().toISOString(), mentions?: string[]): Msg {
    return {
      id: randomUUID(),
      room_id: room,
      sender_id: who.id,
      sender_name: who.name,
      content,
      message_type: 'text',
      meta: mentions ? { mentions } : {},
      created_at: at,
      updated_at: null,
      edited_at: null,
      is_deleted: false,
    };
  }

  const envelope = (type: string, data: unknown, room: string): string =>
    JSON.stringify({ type, data, timestamp: new Date().toISOString(), room_id: room });
  const broadcast = (st: RoomState, text: string, except?: WebSocket): void => {
    for (const c of st.conns) if (c.ws !== except && c.ws.readyState === 1) c.ws.send(text);
  };
  const online = (st: RoomState): string[] => [...new Set([...st.present, ...[...st.conns].map((c) => c.userId)])];
  const statusFrame = (st: RoomState, who: string): string =>
    envelope('connection_status', { status: 'connected', user_id: who, room_id: st.spec.id, online_users: online(st), total_participants: PEOPLE.length + 1 }, st.spec.id);

  function store(st: RoomState, m: Msg): void {
    st.messages.push(m);
    if (st.messages.length > KEEP) st.messages.splice(0, st.messages.length - KEEP);
    broadcast(st, envelope('message', m, st.spec.id));
  }

  // ---------------------------------------------------------------- the simulation
  /** A simulated user types for a moment, then says `text`. */
  function say(st: RoomState, who: DemoPerson, text: string, mentions?: string[]): void {
    const room = st.spec.id;
    broadcast(st, envelope('typing', { user_id: who.id, user_name: who.name, is_typing: true }, room));
    later(between(1200, 2800) + text.length * 25, () => {
      broadcast(st, envelope('typing', { user_id: who.id, user_name: who.name, is_typing: false }, room));
      store(st, makeMsg(room, who, text, undefined, mentions));
    });
  }

  function tick(): void {
    const list = [...rooms.values()];
    // rooms someone is watching get most of the activity
    const watched = list.filter((r) => r.conns.size > 0);
    const st = watched.length && Math.random() < 0.8 ? pick(watched) : pick(list);
    const roll = Math.random();
    const present = [...st.present].map((id) => people.get(id)).filter((p): p is DemoPerson => p !== undefined);
    if (roll < 0.62 && present.length) {
      const line = st.spec.lines[st.next++ % st.spec.lines.length] ?? 'hello';
      say(st, pick(present), line);
    } else if (roll < 0.72) {
      const away = PEOPLE.filter((p) => !st.present.has(p.id));
      if (away.length && (st.present.size < 3 || Math.random() < 0.5)) {
        const p = pick(away);
        st.present.add(p.id);
        broadcast(st, envelope('user_joined', { user_id: p.id, user_name: p.name, joined_at: new Date().toISOString(), meta: { role: 'member' } }, st.spec.id));
      } else if (present.length > 1) {
        const p = pick(present);
        st.present.delete(p.id);
        broadcast(st, envelope('user_left', { user_id: p.id, user_name: p.name, left_at: new Date().toISOString() }, st.spec.id));
      }
    } else if (roll < 0.8) {
      const m = recentSimMessage(st);
      if (m) {
        m.content += pick(EDIT_SUFFIXES);
        m.edited_at = new Date().toISOString();
        m.updated_at = m.edited_at;
        broadcast(st, envelope('message_updated', { id: m.id, content: m.content, edited_at: m.edited_at, edit_reason: 'Fixed typo' }, st.spec.id));
      }
    } else if (roll < 0.84) {
      const m = recentSimMessage(st);
      if (m) {
        m.is_deleted = true;
        broadcast(st, envelope('message_deleted', { id: m.id, deleted_by: m.sender_id, deleted_at: new Date().toISOString() }, st.spec.id));
      }
    } else if (present.length) {
      // someone starts typing and thinks better of it
      const p = pick(present);
      broadcast(st, envelope('typing', { user_id: p.id, user_name: p.name, is_typing: true }, st.spec.id));
      later(between(1500, 3000), () => broadcast(st, envelope('typing', { user_id: p.id, user_name: p.name, is_typing: false }, st.spec.id)));
    }
    later(between(2500, 6500), tick);
  }

  function recentSimMessage(st: RoomState): Msg | undefined {
    const recent = st.messages.slice(-8).filter((m) => !m.is_deleted && people.has(m.sender_id) && !m.edited_at);
    return recent.length ? pick(recent) : undefined;
  }

  /**
   * A newcomer is noticed: the room picks up (a line within a few seconds) and in the first room someone
   * says hello — so a fresh `chat-tui demo` shows conversation at once, not only after the first ticks.
   */
  function welcome(st: RoomState, who: Conn): void {
    const key = `${st.spec.id}\u0000${who.userId}`;
    if (welcomed.has(key)) return; // once per user and room (not again after a reconnect)
    welcomed.add(key);
    const present = [...st.present].map((id) => people.get(id)).filter((p): p is DemoPerson => p !== undefined);
    if (!present.length) return;
    if (st.spec.id === ROOMS[0]?.id) {
      later(between(700, 1500), () => say(st, pick(present), `welcome @${who.userName} 👋 have a look around`, [who.userId]));
    }
    later(between(1500, 3500), () => say(st, pick(present), st.spec.lines[st.next++ % st.spec.lines.length] ?? 'hello'));
  }

  /** Someone answers the demo user, sometimes with an @mention. */
  function answer(st: RoomState, said: string, who: { id: string; name: string }): void {
    const present = [...st.present].map((id) => people.get(id)).filter((p): p is DemoPerson => p !== undefined);
    const person = present.length ? pick(present) : (PEOPLE[0] as DemoPerson);
    const quote = said.replace(/\s+/g, ' ').trim().slice(0, 40);
    const mention = Math.random() < 0.4;
    const text = pick(mention ? MENTION_REPLIES : REPLIES).replaceAll('{you}', who.name).replaceAll('{said}', quote);
    later(between(800, 1800), () => say(st, person, text, mention ? [who.id] : undefined));
  }

  // ---------------------------------------------------------------- REST
  const ok = (data: unknown, status = 200): { status: number; body: unknown } => ({ status, body: { data, status: 'success' } });
  const fail = (status: number, code: string, message: string): { status: number; body: unknown } => ({
    status,
    body: { error: { code, message }, status: 'error' },
  });
  const authorised = (h: http.IncomingHttpHeaders): boolean => h['x-api-key'] === token || h.authorization === `Bearer ${token}`;

  /** Topics set with PUT /rooms/{id} (the room's description). */
  const topics = new Map<string, string>();

  function route(method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): { status: number; body: unknown } {
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] !== 'api' || parts[1] !== 'v1') return fail(404, 'RESOURCE_NOT_FOUND', 'Not found');
    if (!authorised(headers)) return fail(401, 'INVALID_CREDENTIALS', 'Invalid API key');
    if (parts[2] === 'rooms' && parts.length === 3 && method === 'GET') {
      return ok(
        [...rooms.values()].map((r) => ({
          id: r.spec.id,
          name: r.spec.name,
          description: topics.get(r.spec.id) ?? r.spec.description,
          is_active: true,
          participant_count: online(r).length,
          message_count: r.messages.filter((m) => !m.is_deleted).length,
        })),
      );
    }
    if (parts[2] === 'messages' && parts[3] && parts.length === 4 && (method === 'PUT' || method === 'DELETE')) {
      // Doc B messages.md (facts §B2): PUT {content} / DELETE /messages/{id}, pushed as message_updated / message_deleted
      const id = decodeURIComponent(parts[3]);
      const room = [...rooms.values()].find((r) => r.messages.some((x) => x.id === id && !x.is_deleted));
      const m = room?.messages.find((x) => x.id === id);
      if (!room || !m) return fail(404, 'MESSAGE_NOT_FOUND', 'Message not found');
      if (people.has(m.sender_id)) return fail(403, 'UNAUTHORIZED_EDIT', 'only your own messages can be changed');
      if (method === 'DELETE') {
        m.is_deleted = true;
        broadcast(room, envelope('message_deleted', { id, deleted_by: m.sender_id, deleted_at: new Date().toISOString() }, room.spec.id));
        return { status: 200, body: { message: 'Message deleted successfully', status: 'success' } };
      }
      const content = (body as { content?: unknown } | undefined)?.content;
      if (typeof content !== 'string' || !content.trim()) return fail(422, 'VALIDATION_ERROR', 'content is required');
      m.content = content.slice(0, 10_000);
      m.edited_at = new Date().toISOString();
      m.updated_at = m.edited_at;
      broadcast(room, envelope('message_updated', { id, content: m.content, edited_at: m.edited_at }, room.spec.id));
      return ok(m);
    }
    if (parts[2] !== 'rooms' || !parts[3]) return fail(404, 'RESOURCE_NOT_FOUND', 'Not found');
    const st = rooms.get(decodeURIComponent(parts[3]));
    if (!st) return fail(404, 'ROOM_NOT_FOUND', 'Room not found');
    if (parts.length === 4 && method === 'PUT') {
      const d = (body as { description?: unknown } | undefined)?.description;
      if (typeof d === 'string') topics.set(st.spec.id, d.slice(0, 500));
      return ok({ id: st.spec.id, name: st.spec.name, description: topics.get(st.spec.id) ?? st.spec.description, is_active: true });
    }
    if (parts[4] === 'messages' && parts.length === 5 && method === 'GET') {
      const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 100));
      const before = url.searchParams.get('before') ?? url.searchParams.get('before_message_id');
      const visible = st.messages.filter((m) => !m.is_deleted);
      let end = visible.length;
      if (before) {
        const i = visible.findIndex((m) => m.id === before);
        if (i >= 0) end = i;
      }
      return ok(visible.slice(Math.max(0, end - limit), end));
    }
    if (parts[4] === 'messages' && parts.length === 5 && method === 'POST') {
      const b = body as { content?: unknown; sender_id?: unknown; sender_name?: unknown } | undefined;
      if (!b || typeof b.content !== 'string' || !b.content.trim()) return fail(422, 'VALIDATION_ERROR', 'content is required');
      if (b.content.length > 10_000) return fail(422, 'CONTENT_TOO_LONG', 'content is longer than 10000 characters');
      const who = {
        id: typeof b.sender_id === 'string' && b.sender_id ? b.sender_id.slice(0, 100) : userId,
        name: typeof b.sender_name === 'string' && b.sender_name ? b.sender_name.slice(0, 100) : userName,
      };
      const m = makeMsg(st.spec.id, who, b.content);
      store(st, m);
      if (!people.has(who.id)) answer(st, b.content, who);
      return ok(m, 201);
    }
    if (parts[4] === 'online' && method === 'GET') return ok({ online_users: online(st), total_online: online(st).length });
    if (parts[4] === 'participants' && method === 'GET') {
      const list = [...PEOPLE.map((p) => [p.id, p.name] as const), ...[...st.conns].map((c) => [c.userId, c.userName] as const)];
      return ok([...new Map(list)].map(([user_id, user_name]) => ({ user_id, user_name, joined_at: new Date(now).toISOString(), meta: { role: 'member', joined_via: 'demo' } })));
    }
    return fail(404, 'RESOURCE_NOT_FOUND', 'Not found');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const answerHttp = size > MAX_BODY ? fail(413, 'VALIDATION_ERROR', 'request too large') : route(req.method ?? 'GET', url, body, req.headers);
      res.writeHead(answerHttp.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answerHttp.body));
    });
    req.on('error', () => res.destroy());
  });

  // ---------------------------------------------------------------- WebSocket
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/ws\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) {
      socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      if (url.searchParams.get('token') !== token) return ws.close(4001, 'Unauthorized');
      const st = rooms.get(decodeURIComponent(m[1] ?? ''));
      if (!st) return ws.close(4002, 'Room not found');
      const uid = (url.searchParams.get('user_id') || `anon_${randomUUID().slice(0, 8)}`).slice(0, 100);
      const conn: Conn = { ws, userId: uid, userName: (url.searchParams.get('user_name') || uid).slice(0, 100) };
      const wasOnline = online(st).includes(uid);
      st.conns.add(conn);
      ws.send(statusFrame(st, uid));
      if (!wasOnline) {
        broadcast(st, envelope('user_joined', { user_id: uid, user_name: conn.userName, joined_at: new Date().toISOString(), meta: { role: 'member' } }, st.spec.id), ws);
        if (!people.has(uid)) welcome(st, conn);
      }
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let frame: { type?: unknown; data?: { is_typing?: unknown } } | undefined;
        try {
          frame = JSON.parse(data.toString()) as typeof frame;
        } catch {
          ws.send(envelope('error', { message: 'Invalid JSON' }, st.spec.id));
          return;
        }
        if (frame?.type === 'ping') ws.send(envelope('pong', {}, st.spec.id));
        else if (frame?.type === 'get_online_users') ws.send(statusFrame(st, uid));
        else if (frame?.type === 'typing') {
          broadcast(st, envelope('typing', { user_id: uid, user_name: conn.userName, is_typing: frame.data?.is_typing === true }, st.spec.id), ws);
        }
      });
      ws.on('close', () => {
        st.conns.delete(conn);
        if (!online(st).includes(uid)) {
          broadcast(st, envelope('user_left', { user_id: uid, user_name: conn.userName, left_at: new Date().toISOString() }, st.spec.id));
        }
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = opts.host ?? '127.0.0.1';
  later(between(600, 1500), tick);

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    token,
    userId,
    userName,
    rooms: ROOMS.map((r) => r.id),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const st of rooms.values()) for (const c of st.conns) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
