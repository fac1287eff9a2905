import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A rooms (Tibi API) test server that behaves as ../shared/protocols/rooms.facts.md Part A says, on
 * 127.0.0.1 with port 0, with `mode: 'doc'` answering in the shapes of rooms.seed.md instead.
 *
 * - `GET /chat/connect` (WS, no auth on the upgrade): the first good `{"auth_token"}` frame authenticates;
 *   a bad or expired token gets one `{error, error_code}` frame and the socket is terminated (no close
 *   frame); non-auth frames before that are ignored. Then `{"type":"status","status":"CONNECTED"}`
 *   (doc: without `type`). Chat frames: real mode reads `message` only, doc mode reads `messages` only;
 *   `room` must be a string holding an integer; a sender that is not an occupant is dropped silently.
 *   Stored messages go to every subscribed socket of every occupant, the sender included (the echo),
 *   as `{"type":"message","message":{id,poster,room,message,timestamp}}` (doc: without `type`).
 * - `POST /chat/retrieve {"after"}`: every message of the caller's rooms after the id, NOT ordered;
 *   real `{"messages":[…]}`, doc `{"room_name":null,"occupants":[…]}`.
 * - `POST /chat/room_info {"room_id": string}` → `{room_name, occupants}`; 404 ROOM_NOT_FOUND (doc NOT_FOUND).
 * - `POST /chat/create_dm {"other"}` → 200 empty body (a new unnamed room); 404 USER_NOT_FOUND (doc NOT_FOUND).
 * - `POST /user/info`, `POST /auth/refresh`, `POST /auth/sso`, `POST /auth/sso_check` (statuses scripted by the test;
 *   an unknown or expired check code is 404 with the plain-text body `NOT FOUND`).
 * - Authenticated REST: `Authorization: Bearer <jwt>` (exact prefix); 401 `{error, error_code}` otherwise;
 *   a bad JSON body is a plain-text 400 (actix's extractor).
 * Tokens are HS256 JWTs with the server's claims `{"expires": unix s, "id": user id}`.
 */

export interface RoomsUser {
  id: string;
  given_name: string;
  full_name: string;
  username: string;
  email: string;
  department: string;
}

export interface RoomsRoom {
  id: number;
  name: string | null;
  occupants: string[];
}

export interface StoredMessage {
  id: number;
  poster: string;
  room: string;
  message: string;
  timestamp: number;
}

export interface RoomsServerOptions {
  me?: string;
  users?: RoomsUser[];
  rooms?: RoomsRoom[];
  messages?: { room: number; poster: string; message: string; timestamp?: number }[];
  mode?: 'real' | 'doc';
  /** Answer WS pings (default true, as the real server does, facts A4.4); false simulates a dead peer. */
  autoPong?: boolean;
}

/** A socket as the server sees it. */
export interface ServerSocket {
  ws: WebSocket;
  userId: string | null;
  subscribed: boolean;
  /** Every text frame received, raw. */
  frames: string[];
  /** The client's Sec-WebSocket-Extensions header (what it asked for). */
  extensions: string | undefined;
  /** Date.now() when the upgrade was accepted. */
  openedAt: number;
}

export interface HttpRequestLog {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  status: number;
}

export const ME = 'ucabme1';
export const BOB = 'ucabbob';
export const CAROL = 'ucabcar';
export const DEFAULT_USERS: RoomsUser[] = [
  { id: ME, given_name: 'Ada', full_name: 'Ada Lovelace', username: ME, email: 'ada@example.org', department: 'CS' },
  { id: BOB, given_name: 'Bob', full_name: 'Bob Marley', username: BOB, email: 'bob@example.org', department: 'Music' },
  { id: CAROL, given_name: 'Carol', full_name: 'Carol King', username: CAROL, email: 'carol@example.org', department: 'Music' },
];

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowS = (): number => Math.floor(Date.now() / 1000);
const TEXTS: Record<string, string> = {
  AUTH_TOKEN_MISSING: 'You are not logged in',
  AUTH_TOKEN_INVALID: 'Your authentication token is invalid',
  AUTH_TOKEN_EXPIRED: 'Your login session has expired',
  INTERNAL_SERVER_ERROR: 'There was an internal server error, please try again later',
};

export interface RoomsTestServer {
  url: string;
  port: number;
  me: string;
  /** A valid token for `me` (one week). */
  token: string;
  mintToken(userId: string, ttlS?: number, issuedAgoS?: number): string;
  config: { mode: 'real' | 'doc' };
  /** Test hooks: awaited before CONNECTED (messages posted meanwhile miss that socket); delay of retrieve answers. */
  hooks: {
    beforeConnected: ((s: ServerSocket) => Promise<void> | void) | null;
    retrieveDelayMs: number;
    /** The next N retrieves answer 500 INTERNAL_SERVER_ERROR. */
    failRetrieve: number;
    /**
     * One-shot: the next chat frame is stored, then the sender's socket is dropped before its echo
     * (`'drop'`), or its echo is never sent (`'no-echo'`: send-path trouble is silent, facts A4.4 item 7).
     */
    storeThenFail: 'drop' | 'no-echo' | null;
    /** When set, the socket refuses every auth frame with this error_code (REST still accepts the token). */
    refuseSocketAuth: string | null;
    /** When set, the socket answers an auth frame by closing with this code and reason (a server that says we broke a policy). */
    closeOnAuth: { code: number; reason: string } | null;
  };
  users: Map<string, RoomsUser>;
  rooms: Map<number, RoomsRoom>;
  messages: StoredMessage[];
  sockets: ServerSocket[];
  requests: HttpRequestLog[];
  /** Send frames that were silently dropped, with why. */
  dropped: { frame: string; why: string }[];
  /** SSO: the statuses sso_check answers in turn (the last one repeats); `error` for ERROR; expired codes give 404. */
  sso: { script: ('WAITING' | 'PROCESSING' | 'AUTHENTICATED' | 'ERROR')[]; error: string; timeoutS: number; userId: string; checks: number };
  post(room: number, poster: string, text: string, timestamp?: number): StoredMessage;
  raw(frame: string | Buffer | object, binary?: boolean): void;
  /** Sockets that got CONNECTED and are open. */
  connected(): ServerSocket[];
  /** Ends every socket: `terminate` (no close frame) or `close` with a code. */
  drop(how?: 'terminate' | number): void;
  /** Frames with a `room` key (send frames), parsed. */
  chatFrames(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts the server. */
export async function startRoomsServer(opts: RoomsServerOptions = {}): Promise<RoomsTestServer> {
  const secret = randomBytes(16).toString('hex');
  const sign = (body: string): string => createHmac('sha256', secret).update(body).digest('base64url');
  const mintToken = (userId: string, ttlS = 7 * 24 * 3600, issuedAgoS = 0): string => {
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ expires: nowS() + ttlS - issuedAgoS, id: userId })}`;
    return `${body}.${sign(body)}`;
  };
  const verify = (token: unknown): { userId?: string; code?: string } => {
    if (typeof token !== 'string') return { code: 'AUTH_TOKEN_INVALID' };
    const parts = token.split('.');
    if (parts.length !== 3 || sign(`${parts[0]}.${parts[1]}`) !== parts[2]) return { code: 'AUTH_TOKEN_INVALID' };
    try {
      const c = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString()) as { expires?: unknown; id?: unknown };
      if (typeof c.id !== 'string' || typeof c.expires !== 'number') return { code: 'AUTH_TOKEN_INVALID' };
      return nowS() > c.expires ? { code: 'AUTH_TOKEN_EXPIRED' } : { userId: c.id };
    } catch {
      return { code: 'AUTH_TOKEN_INVALID' };
    }
  };

  const me = opts.me ?? ME;
  const config = { mode: opts.mode ?? 'real' };
  const doc = (): boolean => config.mode === 'doc';
  const users = new Map((opts.users ?? DEFAULT_USERS).map((u) => [u.id, u]));
  const rooms = new Map((opts.rooms ?? []).map((r) => [r.id, { ...r, occupants: [...r.occupants] }]));
  const messages: StoredMessage[] = [];
  const sockets: ServerSocket[] = [];
  const requests: HttpRequestLog[] = [];
  const dropped: { frame: string; why: string }[] = [];
  const hooks: RoomsTestServer['hooks'] = { beforeConnected: null, retrieveDelayMs: 0, failRetrieve: 0, storeThenFail: null, refuseSocketAuth: null, closeOnAuth: null };
  const sso: RoomsTestServer['sso'] = { script: ['WAITING', 'AUTHENTICATED'], error: 'UCL said no', timeoutS: 900, userId: me, checks: 0 };
  const ssoCodes = new Map<string, { expires: number; step: number }>();
  let nextId = 1;
  const occupies = (room: number, user: string | null): boolean => user !== null && Boolean(rooms.get(room)?.occupants.includes(user));

  const insert = (room: number, poster: string, text: string, timestamp = nowS()): StoredMessage => {
    const m: StoredMessage = { id: nextId++, poster, room: String(room), message: text, timestamp };
    messages.push(m);
    return m;
  };
  const publish = (m: StoredMessage): void => {
    const frame = JSON.stringify(doc() ? { message: m } : { type: 'message', message: m });
    for (const s of sockets) if (s.subscribed && s.ws.readyState === 1 && occupies(Number(m.room), s.userId)) s.ws.send(frame);
  };
  for (const m of opts.messages ?? []) insert(m.room, m.poster, m.message, m.timestamp);

  const http = createServer((req, res) => void handle(req, res));
  const wss = new WebSocketServer({ noServer: true, autoPong: opts.autoPong ?? true });
  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/chat/connect') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, req.headers['sec-websocket-extensions']));
  });

  function onSocket(ws: WebSocket, extensions: string | undefined): void {
    const s: ServerSocket = { ws, userId: null, subscribed: false, frames: [], extensions, openedAt: Date.now() };
    sockets.push(s);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return; // logged and ignored (facts A4.4)
      const text = data.toString();
      s.frames.push(text);
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        return;
      }
      if (s.userId === null) void onAuth(s, frame);
      else onChat(s, frame, text);
    });
  }

  async function onAuth(s: ServerSocket, frame: unknown): Promise<void> {
    const token = (frame as { auth_token?: unknown } | null)?.auth_token;
    if (typeof token !== 'string') return; // not an auth frame: ignored, still unauthenticated
    if (hooks.closeOnAuth) return s.ws.close(hooks.closeOnAuth.code, hooks.closeOnAuth.reason);
    const v = hooks.refuseSocketAuth ? { code: hooks.refuseSocketAuth } : verify(token);
    if (v.code) {
      s.ws.send(JSON.stringify({ error: TEXTS[v.code], error_code: v.code }), () => s.ws.terminate());
      return;
    }
    s.userId = v.userId ?? null;
    await hooks.beforeConnected?.(s);
    if (s.ws.readyState !== 1) return;
    s.subscribed = true;
    s.ws.send(JSON.stringify(doc() ? { status: 'CONNECTED' } : { type: 'status', status: 'CONNECTED' }));
  }

  function onChat(s: ServerSocket, frame: unknown, raw: string): void {
    const f = (frame ?? {}) as Record<string, unknown>;
    const text = doc() ? f.messages : f.message; // the real server reads `message`; the doc writes `messages`
    const room = typeof f.room === 'string' && /^-?\d+$/.test(f.room) ? Number(f.room) : null;
    let why = '';
    if (typeof text !== 'string' || room === null) why = 'does not parse';
    else if (!rooms.has(room)) why = 'no such room';
    else if (!occupies(room, s.userId)) why = 'not an occupant';
    if (why) {
      dropped.push({ frame: raw, why });
      return;
    }
    const stored = insert(room as number, s.userId as string, text as string);
    const failing = hooks.storeThenFail;
    hooks.storeThenFail = null;
    if (failing === 'drop') s.ws.terminate();
    const subscribed = s.subscribed;
    if (failing !== null) s.subscribed = false; // the sender gets no echo
    publish(stored);
    s.subscribed = subscribed;
  }

  function reply(res: ServerResponse, log: HttpRequestLog, status: number, body?: unknown, plain?: string): void {
    log.status = status;
    if (plain !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(plain);
    } else if (body === undefined) {
      res.writeHead(status);
      res.end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = Symbol.for('bad-json');
    }
    const log: HttpRequestLog = { path, headers: req.headers, body, status: 0 };
    requests.push(log);
    const fail = (status: number, code: string, error = TEXTS[code] ?? code): void => reply(res, log, status, { error, error_code: code });
    const field = (name: string, type: 'string' | 'number'): unknown => {
      if (!/json/.test(String(req.headers['content-type'] ?? ''))) return reply(res, log, 400, undefined, 'Content type error');
      const v = (body as Record<string, unknown> | undefined)?.[name];
      if (typeof body !== 'object' || body === null || typeof v !== type || (type === 'number' && !Number.isInteger(v))) {
        return reply(res, log, 400, undefined, `Json deserialize error: field \`${name}\``);
      }
      return v;
    };
    if (req.method !== 'POST') return reply(res, log, 404, undefined, '');

    // Unauthenticated SSO endpoints (facts A3).
    if (path === '/auth/sso') {
      const code = randomBytes(8).toString('hex');
      const expires = nowS() + sso.timeoutS;
      ssoCodes.set(code, { expires, step: 0 });
      return reply(res, log, 200, { redirect_url: `https://sso.example.org/authorize?client_id=abc&state=${code}`, check_code: code, timeout: expires });
    }
    if (path === '/auth/sso_check') {
      const code = field('check_code', 'string');
      if (typeof code !== 'string') return;
      sso.checks++;
      const entry = ssoCodes.get(code);
      if (!entry || (entry.step === 0 && nowS() > entry.expires)) return reply(res, log, 404, undefined, 'NOT FOUND');
      const status = sso.script[Math.min(entry.step, sso.script.length - 1)] ?? 'WAITING';
      entry.step++;
      if (status === 'AUTHENTICATED') return reply(res, log, 200, { status, auth_token: mintToken(sso.userId) });
      if (status === 'ERROR') return reply(res, log, 200, { status, error: sso.error });
      return reply(res, log, 200, { status });
    }

    const header = req.headers.authorization;
    if (header === undefined) return fail(401, 'AUTH_TOKEN_MISSING');
    if (header.length < 8 || !header.startsWith('Bearer ')) return fail(401, 'AUTH_TOKEN_INVALID');
    const v = verify(header.slice(7));
    if (v.code) return fail(401, v.code);
    const who = v.userId as string;
    if (!users.has(who)) return fail(500, 'INTERNAL_SERVER_ERROR');

    if (path === '/user/info') return reply(res, log, 200, { user: users.get(who) });
    if (path === '/auth/refresh') return reply(res, log, 200, { auth_token: mintToken(who) });
    if (path === '/chat/create_dm') {
      const other = field('other', 'string');
      if (typeof other !== 'string') return;
      if (!users.has(other)) return fail(404, doc() ? 'NOT_FOUND' : 'USER_NOT_FOUND', "The user you tried to create a DM with doesn't exist");
      if (other === who) return fail(500, 'INTERNAL_SERVER_ERROR');
      const id = Math.max(0, ...rooms.keys()) + 1;
      rooms.set(id, { id, name: null, occupants: [who, other] });
      return reply(res, log, 200);
    }
    if (path === '/chat/room_info') {
      const roomId = field('room_id', 'string');
      if (typeof roomId !== 'string') return;
      const id = /^-?\d+$/.test(roomId) ? Number(roomId) : NaN;
      if (!occupies(id, who)) return fail(404, doc() ? 'NOT_FOUND' : 'ROOM_NOT_FOUND', 'Room not found');
      const r = rooms.get(id) as RoomsRoom;
      return reply(res, log, 200, { room_name: r.name, occupants: [...r.occupants] });
    }
    if (path === '/chat/retrieve') {
      const after = field('after', 'number');
      if (typeof after !== 'number') return;
      if (hooks.failRetrieve > 0) {
        hooks.failRetrieve--;
        return fail(500, 'INTERNAL_SERVER_ERROR');
      }
      // Read now, answer later: messages posted during the delay are not in this answer.
      const found = messages.filter((m) => m.id > after && occupies(Number(m.room), who));
      // No ORDER BY on the real server: a fixed scramble, so that a client must sort.
      const scrambled = [...found].sort((a, b) => ((a.id * 7919) % 101) - ((b.id * 7919) % 101) || b.id - a.id);
      if (hooks.retrieveDelayMs) await new Promise((r) => setTimeout(r, hooks.retrieveDelayMs));
      return reply(res, log, 200, doc() ? { room_name: null, occupants: scrambled } : { messages: scrambled });
    }
    return reply(res, log, 404, undefined, '');
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    me,
    token: mintToken(me),
    mintToken,
    config,
    hooks,
    users,
    rooms,
    messages,
    sockets,
    requests,
    dropped,
    sso,
    post(room, poster, text, timestamp) {
      const m = insert(room, poster, text, timestamp);
      publish(m);
      return m;
    },
    raw(frame, binary = false) {
      const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
      for (const s of sockets) if (s.subscribed && s.ws.readyState === 1) s.ws.send(data, { binary });
    },
    connected: () => sockets.filter((s) => s.subscribed && s.ws.readyState === 1),
    drop(how = 'terminate') {
      for (const s of sockets) {
        if (s.ws.readyState !== 1) continue;
        if (how === 'terminate') s.ws.terminate();
        else s.ws.close(how);
      }
    },
    chatFrames: () =>
      sockets.flatMap((s) =>
        s.frames.flatMap((f) => {
          try {
            const j = JSON.parse(f) as unknown;
            return j && typeof j === 'object' && 'room' in j ? [j as Record<string, unknown>] : [];
          } catch {
            return [];
          }
        }),
      ),
    async close() {
      for (const s of sockets) s.ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
