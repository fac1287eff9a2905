/**
 * A Talkee test server (pandodao/talkee as ../shared/protocols/talkee.facts.md describes it), for the
 * connector tests. One port serves both hosts: `/ws` (the socket `?site_id=&slug=`, chat REST
 * `/ws/messages`, bare JSON) and `/api` (REST API, `{ts, data}` envelope). Behaviour it reproduces:
 * - a bad site id / slug on the upgrade → HTTP 200 `{"code":400,"msg":"invalid site id"}` and no upgrade (§5);
 * - every inbound text frame is an auth frame: a valid one marks the socket silently (no ack, §5), anything
 *   else gets an EMPTY close frame (the client reads 1005); frames over 512 bytes → close 1009; binary ignored;
 * - a ping every `pingIntervalMs`, the socket is dropped `pongWaitMs` after the last pong (§5);
 * - POST /ws/messages: site check, then Bearer (`{code:401,msg:"unauthorized"}` with HTTP 200), keeps
 *   `id`/`category`/`data`, drops `message_id`, sets `created_at` (RFC 3339 nanoseconds, +09:00), broadcasts
 *   to the room EXCEPT sockets authenticated as the sender, pushes onto one global 100-item list (§6);
 * - GET /ws/messages: that global list, bare (§6);
 * - /api/auth/login (Origin required, else HTTP 500 with an empty body) and /api/me, wrapped (§4, §7, §8).
 * Hooks for tests: post as another user, push raw frames, drop sockets (terminate or close with a code),
 * refuse upgrades, and logs of every socket's received frames and every request.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A user as the server stores it (facts §10). */
export interface TalkeeUser {
  id: number;
  mixin_user_id: string;
  mixin_identity_number: string;
  full_name: string;
  avatar_url: string;
  mvm_public_key: string;
  created_at: string | null;
}

/** A chat message object (facts §5/§10): `id`, `category`, `data` only when non-empty. */
export interface TalkeeMessage {
  id?: string;
  category?: string;
  data?: string;
  created_at: string;
  user: TalkeeUser;
}

/** A text or binary frame a socket received. `json` is the parsed text when it was JSON. */
export interface ReceivedFrame {
  text: string;
  bytes: number;
  binary: boolean;
  json?: unknown;
}

/** One socket as the server sees it. */
export interface SocketRecord {
  ws: WebSocket;
  siteId: string;
  slug: string;
  userId: number | null;
  frames: ReceivedFrame[];
  pongs: number;
  /** Set when the socket closed: the code the server sent (1005 for an empty close frame) or 1006 when dropped. */
  closed: { code: number; why: string } | null;
  /** The client's Sec-WebSocket-Extensions header (what it asked for). */
  extensions: string | undefined;
  /** Date.now() when the upgrade was accepted. */
  openedAt: number;
}

/** One HTTP request (not upgrades). */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TalkeeServerOptions {
  pingIntervalMs?: number;
  pongWaitMs?: number;
  maxFrameBytes?: number;
  /** Offset of `created_at` in minutes (+09:00 as in the docs). */
  zoneMinutes?: number;
  jwtSecret?: string;
}

export interface TalkeeTestServer {
  port: number;
  /** The chat base (`--url`): `http://127.0.0.1:P/ws`. */
  url: string;
  /** The API base (`--api-url`): `http://127.0.0.1:P/api`. */
  apiUrl: string;
  /** User 1's (John Wick) access token. */
  token: string;
  /** A fixture Mixin token that logs in as user 1. */
  mixinToken: string;
  users: Map<number, TalkeeUser>;
  /** The global list (last 100 of every room), oldest first. */
  messages: TalkeeMessage[];
  sockets: SocketRecord[];
  upgrades: { query: Record<string, string>; refused: boolean }[];
  requests: RequestRecord[];
  /** When set, every site check fails with this text (as site_id=0 does). */
  siteError: string | null;
  /** Test hook: refuse the upgrade of some slugs with this error text (the real server only refuses empty ones). */
  refuseRoom: ((slug: string) => string | null) | null;
  /** Test hook: the next `count` sockets are closed with `code` and `reason` right after the upgrade (a server that says we broke a policy). */
  closeNext(count: number, code: number, reason: string): void;
  /** Issues an access token for a user id. */
  issue(userId: number): string;
  /** Creates a message as user `from` (default 2) in (siteId, slug), as POST /ws/messages would. */
  post(siteId: number, slug: string, opts?: { from?: number; text?: string; data?: string; id?: string | null; category?: string }): TalkeeMessage;
  /** One-shot: the next POST /ws/messages is stored (and broadcast), then answered HTTP 500 (`'500'`) or not at all, the connection dropped (`'drop'`). */
  storeThenFail(mode: '500' | 'drop'): void;
  /** Sends a frame as it is to every socket of a room. */
  raw(siteId: number, slug: string, frame: string | Buffer, opts?: { binary?: boolean }): void;
  /** Drops every open socket: `'terminate'` (no close frame), `'empty'` (empty close frame → 1005) or a close code. */
  drop(how: 'terminate' | 'empty' | number): void;
  /** Open sockets, optionally of one room. */
  open(siteId?: number, slug?: string): SocketRecord[];
  close(): Promise<void>;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 JWT, as the server signs access tokens `{user_id, exp}` (facts §4). */
export function jwt(claims: Record<string, unknown>, secret: string): string {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** base64 of UTF-8, the client convention for `data`. */
export const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Go's time.RFC3339Nano in a fixed zone: nanoseconds with trailing zeros trimmed, numeric offset. */
export function goTime(zoneMinutes: number, ms = Date.now(), nanos = Number(process.hrtime.bigint() % 1_000_000n)): string {
  const local = new Date(ms + zoneMinutes * 60_000).toISOString().slice(0, 19);
  const fraction = `${String(ms % 1000).padStart(3, '0')}${String(nanos).padStart(6, '0')}`.replace(/0+$/, '');
  const abs = Math.abs(zoneMinutes);
  const zone = zoneMinutes === 0 ? 'Z' : `${zoneMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}${fraction ? `.${fraction}` : ''}${zone}`;
}

/** Go's encoding/json: `<`, `>`, `&`, U+2028/9 escaped. */
const goJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Go matches JSON keys to struct fields case-insensitively; the last match wins. */
function field(obj: unknown, name: string): unknown {
  let value: unknown;
  if (obj && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === name) value = v;
  return value;
}

/** Decodes a JSON body into string fields the way json.Decode into a struct would; null = malformed. */
function decodeStrings(raw: string, names: string[]): Record<string, string> | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (value !== null && (typeof value !== 'object' || Array.isArray(value))) return null;
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = field(value, name);
    if (v !== undefined && v !== null && typeof v !== 'string') return null;
    out[name] = (v as string | undefined) ?? '';
  }
  return out;
}

const MALFORMED = "twirp error malformed: can't decode request body";

/** Starts the server on 127.0.0.1, port 0. */
export async function startTalkeeServer(opts: TalkeeServerOptions = {}): Promise<TalkeeTestServer> {
  const pingIntervalMs = opts.pingIntervalMs ?? 54_000;
  const pongWaitMs = opts.pongWaitMs ?? 60_000;
  const maxFrameBytes = opts.maxFrameBytes ?? 512;
  const zoneMinutes = opts.zoneMinutes ?? 540;
  const secret = opts.jwtSecret ?? 'talkee-test-secret';

  const makeUser = (id: number, full_name: string): TalkeeUser => ({
    id,
    mixin_user_id: randomUUID(),
    mixin_identity_number: String(7000100 + id),
    full_name,
    avatar_url: `https://mixin-images.zeromesh.net/avatar-${id}.jpg`,
    mvm_public_key: `0x${'0'.repeat(40)}`,
    created_at: '2022-02-05T16:11:16.420872+09:00',
  });
  const users = new Map<number, TalkeeUser>([
    [1, makeUser(1, 'John Wick')],
    [2, makeUser(2, 'Jane Smith')],
  ]);
  const tokens = new Map<string, number>();
  const mixinTokens = new Map<string, number>();
  const loggedIn = new Set<number>();
  const sockets: SocketRecord[] = [];
  const requests: RequestRecord[] = [];
  const upgrades: { query: Record<string, string>; refused: boolean }[] = [];
  const messages: TalkeeMessage[] = [];

  const issue = (userId: number): string => {
    const token = jwt({ user_id: userId, exp: Math.floor(Date.now() / 1000) + 365 * 86400 }, secret);
    tokens.set(token, userId);
    return token;
  };
  const userOfToken = (token: string): TalkeeUser | null => {
    const id = tokens.get(token);
    return id === undefined ? null : users.get(id) ?? null;
  };
  const userOf = (req: http.IncomingMessage): TalkeeUser | null => {
    const h = req.headers.authorization ?? '';
    return h.startsWith('Bearer ') ? userOfToken(h.slice(7)) : null; // case-sensitive prefix (facts §8)
  };

  let closeNew: { count: number; code: number; reason: string } | null = null;
  let storeThenFail: '500' | 'drop' | undefined;
  const srv: TalkeeTestServer = {
    port: 0,
    url: '',
    apiUrl: '',
    token: '',
    mixinToken: '',
    users,
    messages,
    sockets,
    upgrades,
    requests,
    siteError: null,
    refuseRoom: null,
    closeNext(count, code, reason) {
      closeNew = { count, code, reason };
    },
    storeThenFail(mode) {
      storeThenFail = mode;
    },
    issue,
    post(siteId, slug, o = {}) {
      const user = users.get(o.from ?? 2);
      if (!user) throw new Error(`no user ${o.from}`);
      const id = o.id === undefined ? randomUUID() : o.id ?? '';
      return create(String(siteId), slug, user, { id, category: o.category ?? 'text', data: o.data ?? base64(o.text ?? '') });
    },
    raw(siteId, slug, frame, o = {}) {
      for (const x of inRoom(String(siteId), slug)) x.ws.send(frame, { binary: o.binary ?? false });
    },
    drop(how) {
      for (const x of sockets) {
        if (x.closed) continue;
        if (how === 'terminate') {
          x.closed = { code: 1006, why: 'drop' };
          x.ws.terminate();
        } else shut(x, how === 'empty' ? undefined : how, 'drop');
      }
    },
    open: (siteId, slug) => sockets.filter((x) => !x.closed && (siteId === undefined || (x.siteId === String(siteId) && (slug === undefined || x.slug === slug)))),
    close: async () => {},
  };

  /** site_id and slug from X-TALKEE-SITE-* headers or the query (header wins; a header slug is trimmed), facts §3. */
  function siteOf(req: http.IncomingMessage, url: URL): { error: string } | { siteId: string; slug: string } {
    if (srv.siteError) return { error: srv.siteError };
    const headerId = req.headers['x-talkee-site-id'];
    const headerSlug = req.headers['x-talkee-site-slug'];
    const id = (typeof headerId === 'string' && headerId) || url.searchParams.get('site_id') || '';
    const slug = (typeof headerSlug === 'string' && headerSlug.trim()) || url.searchParams.get('slug') || '';
    if (!/^\d+$/.test(id) || BigInt(id) === 0n || BigInt(id) >= 2n ** 64n) return { error: 'invalid site id' };
    if (!slug) return { error: 'invalid slug' };
    return { siteId: BigInt(id).toString(), slug };
  }

  const inRoom = (siteId: string, slug: string): SocketRecord[] => sockets.filter((x) => !x.closed && x.siteId === siteId && x.slug === slug);

  function create(siteId: string, slug: string, user: TalkeeUser, p: { id: string; category: string; data: string }): TalkeeMessage {
    const message: TalkeeMessage = {
      ...(p.id ? { id: p.id } : {}),
      ...(p.category ? { category: p.category } : {}),
      ...(p.data ? { data: p.data } : {}),
      created_at: goTime(zoneMinutes),
      user,
    };
    const frame = goJson(message);
    // Every session of the room except those authenticated as the sender (facts §5).
    for (const x of inRoom(siteId, slug)) if (x.userId !== user.id && x.ws.readyState === 1) x.ws.send(frame);
    messages.push(message);
    if (messages.length > 100) messages.shift();
    return message;
  }

  /** An empty close frame unless `code` (the client reads 1005), then the TCP connection goes. */
  function shut(x: SocketRecord, code: number | undefined, why: string): void {
    if (!x.closed) x.closed = { code: code ?? 1005, why };
    x.ws.close(code);
    setTimeout(() => x.ws.terminate(), 100).unref();
  }

  const reply = (res: http.ServerResponse, value: unknown, status = 200): void => {
    const body = `${goJson(value)}\n`;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const wrapped = (res: http.ServerResponse, value: unknown): void => reply(res, { ts: Date.now(), data: value });

  function api(req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: string): void {
    if (path === '/api/auth/login' && req.method === 'POST') {
      const origin = req.headers.origin ?? '';
      if (!origin.includes('//')) {
        res.writeHead(500, { 'content-length': 0 }); // the real handler panics slicing the Origin (facts §4)
        res.end();
        return;
      }
      const body = decodeStrings(raw, ['method', 'mixin_token', 'signature', 'signed_message', 'lang']);
      if (!body) return wrapped(res, { code: 400, msg: MALFORMED });
      if (body.method === 'mvm') return wrapped(res, { code: 401, msg: 'bad mvm login message' });
      if (body.method !== 'mixin_token') return wrapped(res, null);
      const userId = mixinTokens.get(body.mixin_token ?? '');
      const user = userId === undefined ? undefined : users.get(userId);
      if (userId === undefined || !user) return wrapped(res, { code: 401, msg: 'invalid issuer' });
      const first = !loggedIn.has(userId);
      loggedIn.add(userId);
      return wrapped(res, { access_token: issue(userId), user: first ? { ...user, created_at: null } : user });
    }
    if (path === '/api/me' && req.method === 'GET') return wrapped(res, userOf(req) ?? { code: 401, msg: 'unauthorized' });
    return wrapped(res, { code: 404, msg: 'not found' });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      requests.push({ method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), headers: req.headers, body: raw });
      if (path === '/hc') return reply(res, { uptime: `${Math.round(process.uptime())}s`, version: '2.0.0' });
      if (path === '/api' || path.startsWith('/api/')) return api(req, res, path, raw);
      if (path !== '/ws/messages') return reply(res, { code: 404, msg: 'not found' });
      if (req.method !== 'GET' && req.method !== 'POST') return reply(res, { code: 405, msg: 'Method Not Allowed' }, 405);
      const site = siteOf(req, url);
      if ('error' in site) return reply(res, { code: 400, msg: site.error });
      if (req.method === 'GET') return reply(res, messages); // filter, site and slug are not used (facts §6)
      const user = userOf(req);
      if (!user) return reply(res, { code: 401, msg: 'unauthorized' });
      const payload = decodeStrings(raw, ['id', 'category', 'data', 'created_at']);
      if (!payload) return reply(res, { code: 400, msg: MALFORMED });
      // `message_id` is no field of the payload: dropped (facts §6).
      const stored = create(site.siteId, site.slug, user, { id: payload.id ?? '', category: payload.category ?? '', data: payload.data ?? '' });
      const failing = storeThenFail;
      storeThenFail = undefined;
      if (failing === 'drop') return void req.socket.destroy();
      if (failing === '500') return reply(res, { code: 500, msg: 'internal error' }, 500);
      return reply(res, stored);
    });
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    socket.on('error', () => {});
    if (url.pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const checked = siteOf(req, url);
    const hooked = 'error' in checked ? null : srv.refuseRoom?.(checked.slug) ?? null;
    const site = hooked ? { error: hooked } : checked;
    upgrades.push({ query: Object.fromEntries(url.searchParams), refused: 'error' in site });
    if ('error' in site) {
      // No upgrade: HTTP 200 with the JSON error (facts §5).
      const body = `${goJson({ code: 400, msg: site.error })}\n`;
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const x: SocketRecord = { ws, siteId: site.siteId, slug: site.slug, userId: null, frames: [], pongs: 0, closed: null, extensions: req.headers['sec-websocket-extensions'], openedAt: Date.now() };
      sockets.push(x);
      if (closeNew && closeNew.count > 0) {
        closeNew.count--;
        x.closed = { code: closeNew.code, why: closeNew.reason };
        ws.on('error', () => {});
        ws.close(closeNew.code, closeNew.reason);
        setTimeout(() => ws.terminate(), 100).unref();
        return;
      }
      const ping = setInterval(() => ws.ping(), pingIntervalMs);
      let deadline: NodeJS.Timeout | undefined;
      const extend = (): void => {
        clearTimeout(deadline);
        deadline = setTimeout(() => {
          if (!x.closed) x.closed = { code: 1006, why: 'no pong in time' };
          ws.terminate();
        }, pongWaitMs);
      };
      extend(); // only a pong moves the read deadline (melody)
      ws.on('pong', () => {
        x.pongs++;
        extend();
      });
      ws.on('close', () => {
        clearInterval(ping);
        clearTimeout(deadline);
        if (!x.closed) x.closed = { code: 1000, why: 'client closed' };
      });
      ws.on('error', () => {});
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const text = data.toString('utf8');
        const frame: ReceivedFrame = { text, bytes: data.length, binary: isBinary };
        if (!isBinary) {
          try {
            frame.json = JSON.parse(text);
          } catch {
            // not JSON
          }
        }
        x.frames.push(frame);
        if (x.closed) return;
        if (data.length > maxFrameBytes) return shut(x, 1009, 'frame too large');
        if (isBinary) return; // ignored (facts §5)
        const type = field(frame.json, 'type');
        const token = field(frame.json, 'token');
        const user = type === 'auth' && typeof token === 'string' && token ? userOfToken(token) : null;
        if (!user || frame.json === null || typeof frame.json !== 'object' || Array.isArray(frame.json)) return shut(x, undefined, 'not a valid auth frame');
        x.userId = user.id; // silently: no ack, no history
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  srv.port = port;
  srv.url = `http://127.0.0.1:${port}/ws`;
  srv.apiUrl = `http://127.0.0.1:${port}/api`;
  srv.token = issue(1);
  srv.mixinToken = jwt({ uid: users.get(1)?.mixin_user_id, sid: randomUUID(), iat: Math.floor(Date.now() / 1000), scp: 'FULL' }, 'mixin-fixture');
  mixinTokens.set(srv.mixinToken, 1);
  srv.close = async () => {
    for (const x of sockets) x.ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return srv;
}
