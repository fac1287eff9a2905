/**
 * A Glimesh test server (Phoenix 1.7 + Absinthe as ../shared/protocols/glimesh.facts.md describes it), on
 * 127.0.0.1 with port 0:
 * - `GET /api/socket/websocket?vsn=2.0.0&token=…|client_id=…`: the old-schema Phoenix socket. A refused
 *   credential (or a vsn other than 1.x/2.x) is HTTP 403 with an empty body before any upgrade (facts §2).
 *   V2 array frames `[join_ref, ref, topic, event, payload]`; heartbeat on `phoenix` answered with a JSON
 *   null join ref (facts §3); `phx_join` of `__absinthe__:control` only (a second join closes the old
 *   channel with a late `phx_close` carrying the OLD join ref, facts §4); `doc` runs queries/mutations and
 *   registers subscriptions (`__absinthe__:doc:<n>:<hash>`, new per call); `unsubscribe`; pushes
 *   `[null,null,subId,"subscription:data",{result,subscriptionId}]`. An undecodable frame closes 1011; an
 *   idle socket (no inbound frame for `idleTimeoutMs`) is closed 1000 with no reason (facts §3).
 * - `POST /api/graph`: the new schema over HTTP with `Authorization: Bearer|Client-ID` (401 texts of facts §2),
 *   executed with the `graphql` package (buildSchema + graphql()). Relay `chatMessages(first,last,before,after)`
 *   with offset cursors and a 1000 cap (facts §6). Mutations on an unknown channel are HTTP 404.
 * - `POST /api/oauth/token`: client credentials grant.
 * Hooks for tests: post, store, dropSockets, closeSockets(code), crashControl (phx_error), closeControl (phx_close),
 * staleClose (the late phx_close of an older join), postWithSubscribe (a push right behind a subscribe reply),
 * muteHeartbeats, silentDocs, dropDocReplies, pushRaw, setLive, ban, subscriptions(), frames, upgrades, requests, mutations, counters.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, execute, graphql, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';

const CONTROL = '__absinthe__:control';

const SHARED = `
scalar NaiveDateTime
enum ChannelStatus { LIVE OFFLINE }
input ChatMessageInput { message: String }
type ChannelModerationLog { action: String }
type RootSubscriptionType { chatMessage(channelId: ID): ChatMessage channel(id: ID): Channel }
schema { query: RootQueryType mutation: RootMutationType subscription: RootSubscriptionType }
`;
const MUTATIONS = `createChatMessage(channelId: ID!, message: ChatMessageInput!): ChatMessage
  shortTimeoutUser(channelId: ID!, userId: ID!): ChannelModerationLog
  longTimeoutUser(channelId: ID!, userId: ID!): ChannelModerationLog
  banUser(channelId: ID!, userId: ID!): ChannelModerationLog
  unbanUser(channelId: ID!, userId: ID!): ChannelModerationLog`;

/** The old schema (socket): channel(id, username), plain chatMessages list, User.avatar. */
const OLD_SCHEMA = buildSchema(`${SHARED}
type User { id: ID username: String displayname: String avatar: String }
type Channel { id: ID title: String status: ChannelStatus streamer: User! chatMessages: [ChatMessage] }
type ChatMessage { id: ID message: String insertedAt: NaiveDateTime! isFollowedMessage: Boolean isSubscriptionMessage: Boolean user: User! }
type RootQueryType { myself: User user(id: Int, username: String): User channel(id: ID, username: String): Channel }
type RootMutationType { ${MUTATIONS} deleteMessage(channelId: ID!, messageId: ID!): ChannelModerationLog }`);

/** The new schema (HTTP): channel(id, streamerId, streamerUsername), Relay chatMessages. */
const NEW_SCHEMA = buildSchema(`${SHARED}
type User { id: ID! username: String! displayname: String! avatarUrl: String }
type Channel { id: ID title: String status: ChannelStatus streamer: User! chatMessages(first: Int, last: Int, before: String, after: String): ChatMessageConnection }
type ChatMessageConnection { count: Int edges: [ChatMessageEdge] pageInfo: PageInfo! }
type ChatMessageEdge { cursor: String node: ChatMessage }
type PageInfo { hasPreviousPage: Boolean! hasNextPage: Boolean! startCursor: String endCursor: String }
type ChatMessage { id: ID! message: String insertedAt: NaiveDateTime! isFollowedMessage: Boolean isSubscriptionMessage: Boolean user: User! }
type RootQueryType { myself: User user(id: Int, username: String): User channel(id: ID, streamerId: Int, streamerUsername: String): Channel }
type RootMutationType { ${MUTATIONS} deleteChatMessage(channelId: ID!, messageId: ID!): ChannelModerationLog }`);

/** NaiveDateTime: UTC wall time, no zone, whole seconds (facts §7). */
export const naive = (ms = Date.now()): string => new Date(ms).toISOString().slice(0, 19);

export interface TestUser {
  id: string;
  username: string;
  displayname: string;
}
export interface TestMessage {
  id: string;
  channelId: string;
  userId: string;
  message: string;
  insertedAt: string;
  isFollowedMessage: boolean;
  isSubscriptionMessage: boolean;
}
interface Channel {
  id: string;
  streamerId: string;
  title: string;
  live: boolean;
  blockLinks: boolean;
}
interface Access {
  user: TestUser | null;
  scopes: Set<string>;
}
interface Conn {
  ws: WebSocket;
  access: Access;
  control: { joinRef: unknown; subs: Set<string> } | null;
  /** Join refs of the control joins on this socket, oldest first (the current one last). */
  joinRefs: unknown[];
}
interface Sub {
  id: string;
  conn: Conn;
  topic: string;
  document: DocumentNode;
  variables: Record<string, unknown>;
}
/** A frame the server received: the text and its JSON (undefined when not JSON). */
export interface Frame {
  text: string;
  json: unknown;
}

class Crash extends Error {
  constructor(readonly status: number) {
    super(`crash ${status}`);
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

export interface GlimeshServerOptions {
  tokens?: Record<string, { user: string; scopes: string }>;
  clientIds?: string[];
  /** OAuth apps for the client credentials grant: id → {secret, user, expiresIn (s)}. */
  apps?: Record<string, { secret: string; user: string; expiresIn?: number }>;
  idleTimeoutMs?: number;
}

export type GlimeshServer = Awaited<ReturnType<typeof startGlimeshServer>>;

/** Starts the server. Users: Mytho (613, streams channel 6), TheCat (629, channel 9), Kirby (752), AFaithfulServant (4242). */
export async function startGlimeshServer(opts: GlimeshServerOptions = {}) {
  const users = new Map<string, TestUser>();
  const addUser = (id: string, username: string): TestUser => {
    const u = { id, username, displayname: username };
    users.set(id, u);
    return u;
  };
  addUser('613', 'Mytho');
  addUser('629', 'TheCat');
  addUser('752', 'Kirby');
  addUser('4242', 'AFaithfulServant');
  let nextUser = 20000;
  const userByName = (name: unknown): TestUser | undefined => [...users.values()].find((u) => u.username.toLowerCase() === String(name).toLowerCase());
  const channels = new Map<string, Channel>([
    ['6', { id: '6', streamerId: '613', title: 'Chill stream', live: false, blockLinks: false }],
    ['9', { id: '9', streamerId: '629', title: 'Cats', live: true, blockLinks: true }],
  ]);
  const tokens = new Map(Object.entries(opts.tokens ?? { 'glm-token': { user: 'AFaithfulServant', scopes: 'public email chat' } }));
  const clientIds = new Set(opts.clientIds ?? ['1b3c3f0e-5d1a-4c8e-9b7a-2f6d8e4c1a90']);
  const apps = new Map(Object.entries(opts.apps ?? {}));
  const messages: TestMessage[] = [];
  const bans = new Map<string, number | null>();
  let nextMessage = 100000;
  let uniq = -576460752303423488n;
  const conns = new Set<Conn>();
  const subs = new Map<string, Sub>();
  const state = {
    idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
    muteHeartbeats: false,
    silentDocs: false,
    dropDocReplies: false,
    /**
     * One-shot: the next createChatMessage is stored (and pushed to subscribers), then it fails: `'500'` is
     * HTTP 500 (over HTTP) or a crash, `phx_error` without a reply (over the socket); `'drop'` drops the connection.
     */
    storeThenFail: null as '500' | 'drop' | null,
    /** Set by the resolver when the failure of `storeThenFail` is due now. */
    failNow: null as '500' | 'drop' | null,
    /** Doc replies wait this long (ms), so the subscription push of a sent message arrives before the reply. */
    docReplyDelayMs: 0,
    tokenCount: 0,
    /** The next chat subscription is answered with this message right behind its reply (see `postWithSubscribe`). */
    postWithSubscribe: null as { user: string; text: string; posted: TestMessage[] } | null,
  };
  const frames: Frame[] = [];
  const upgrades: { query: Record<string, string>; status: number; headers: http.IncomingHttpHeaders }[] = [];
  const requests: { path: string; authorization: string | undefined; body: unknown }[] = [];
  const mutations: { via: string; channelId: string; text: unknown; error: string | null }[] = [];
  const counters = { heartbeats: 0, joins: 0, subscribes: 0, unsubscribes: 0, docs: 0 };

  // ---- views ----
  const userView = (u: TestUser) => ({ ...u, avatar: `/uploads/avatars/${u.username}.png`, avatarUrl: `https://cdn.invalid/${u.username}.png` });
  const channelView = (c: Channel, flavor: 'old' | 'new') => {
    const own = () => messages.filter((m) => m.channelId === c.id).map(messageView);
    return {
      id: c.id,
      title: c.title,
      status: c.live ? 'LIVE' : 'OFFLINE',
      streamer: () => userView(users.get(c.streamerId)!),
      chatMessages: flavor === 'old' ? own : (args: Record<string, unknown>) => relay(own(), args),
    };
  };
  const messageView = (m: TestMessage) => ({ ...m, user: () => userView(users.get(m.userId)!) });

  /** Absinthe.Relay offsets: default first 100, cap 1000, cursors base64("arrayconnection:N") (facts §6). */
  function relay<T>(list: T[], args: Record<string, unknown>) {
    const decode = (c: unknown, name: string): number => {
      const m = /^arrayconnection:(\d+)$/.exec(Buffer.from(String(c), 'base64').toString());
      if (!m) throw new Error(`Invalid cursor provided as \`${name}\` argument`);
      return Number(m[1]);
    };
    let first = args.first as number | null | undefined;
    const last = args.last as number | null | undefined;
    if (first == null && last == null) first = 100;
    let start: number;
    let end: number;
    if (first != null) {
      start = args.after != null ? decode(args.after, 'after') + 1 : 0;
      end = Math.min(list.length, start + Math.min(first, 1000));
    } else {
      end = args.before != null ? Math.min(decode(args.before, 'before'), list.length) : list.length;
      start = Math.max(0, end - Math.min(last!, 1000));
    }
    const edges = list.slice(start, end).map((node, i) => ({ node, cursor: b64(`arrayconnection:${start + i}`) }));
    return {
      count: edges.length,
      edges,
      pageInfo: { hasPreviousPage: start > 0, hasNextPage: end < list.length, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  // ---- chat rules (facts §6 createChatMessage) ----
  /** Stores a message and pushes it to the subscribers (on the next turn of the event loop, or `now`). */
  function createMessage(user: TestUser, channel: Channel, text: unknown, flags: Partial<TestMessage> = {}, now = false): TestMessage {
    const until = bans.get(`${channel.id}:${user.id}`);
    if (channel.streamerId !== user.id && until !== undefined && (until === null || until > Date.now())) {
      throw new Error(until === null ? 'You are permanently banned from this channel.' : `You are banned from this channel for ${Math.ceil((until - Date.now()) / 60000)} more minutes.`);
    }
    if (typeof text === 'string' && text.includes('http') && text.includes('://') && channel.blockLinks) throw new Error('This channel has links disabled!');
    if (typeof text !== 'string' || !text.trim()) throw new Error("message: can't be blank");
    if ([...new Intl.Segmenter().segment(text)].length > 255) throw new Error('message: should be at most 255 character(s)');
    const m: TestMessage = { id: String(nextMessage++), channelId: channel.id, userId: user.id, message: text, insertedAt: naive(), isFollowedMessage: false, isSubscriptionMessage: false, ...flags };
    messages.push(m);
    if (now) publish(`chat:${m.channelId}`, { chatMessage: messageView(m) });
    else setImmediate(() => publish(`chat:${m.channelId}`, { chatMessage: messageView(m) }));
    return m;
  }

  function publish(topic: string, rootValue: Record<string, unknown>): void {
    for (const sub of subs.values()) {
      if (sub.topic !== topic) continue;
      const result = execute({ schema: OLD_SCHEMA, document: sub.document, rootValue, variableValues: sub.variables });
      push(sub.conn, null, null, sub.id, 'subscription:data', { result: JSON.parse(JSON.stringify(result)), subscriptionId: sub.id });
    }
  }

  const need = <T>(v: T | null | undefined, message = 'Could not find resource'): T => {
    if (v === null || v === undefined || v === false) throw new Error(message);
    return v;
  };
  function moderate(action: string) {
    return (args: Record<string, unknown>, ctx: { access: Access }) => {
      need(ctx.access.scopes.has('chat'), 'unauthorized');
      const channel = channels.get(String(args.channelId));
      if (!channel) throw new Crash(404);
      const me = ctx.access.user!;
      need(me.id === channel.streamerId, 'unauthorized');
      if (action === 'delete') need(messages.find((m) => m.id === String(args.messageId)));
      else {
        const target = need(users.get(String(args.userId)));
        const key = `${channel.id}:${target.id}`;
        if (action === 'ban') bans.set(key, null);
        else if (action === 'unban') bans.delete(key);
        else bans.set(key, Date.now() + (action === 'short' ? 5 : 15) * 60000);
      }
      return { action };
    };
  }
  function root(flavor: 'old' | 'new', access: Access, via: string) {
    return {
      myself: () => (access.user ? userView(access.user) : (() => { throw new Crash(500); })()),
      user: (a: Record<string, unknown>) => userView(need(a.id != null ? users.get(String(a.id)) : userByName(a.username))),
      channel: (a: Record<string, unknown>) => {
        let c: Channel | undefined;
        if (a.id != null) c = channels.get(String(a.id));
        else if (a.username != null || a.streamerUsername != null) {
          const u = userByName(a.username ?? a.streamerUsername);
          c = [...channels.values()].find((x) => x.streamerId === u?.id);
        }
        return channelView(need(c), flavor);
      },
      createChatMessage: (a: { channelId: string; message: { message?: unknown } }) => {
        const rec = { via, channelId: String(a.channelId), text: a.message?.message ?? null, error: null as string | null };
        mutations.push(rec);
        try {
          need(access.scopes.has('chat'), 'unauthorized');
          const channel = channels.get(String(a.channelId));
          if (!channel) throw new Crash(404);
          const stored = messageView(createMessage(access.user!, channel, a.message?.message));
          if (state.storeThenFail) {
            state.failNow = state.storeThenFail;
            state.storeThenFail = null;
          }
          return stored;
        } catch (e) {
          rec.error = (e as Error).message;
          throw e;
        }
      },
      shortTimeoutUser: moderate('short'),
      longTimeoutUser: moderate('long'),
      banUser: moderate('ban'),
      unbanUser: moderate('unban'),
      deleteMessage: moderate('delete'),
      deleteChatMessage: moderate('delete'),
    };
  }

  /** Runs a document: {result} | {crash} | {subscribe}. */
  async function run(flavor: 'old' | 'new', access: Access, via: string, query: string, variables: Record<string, unknown>) {
    const schema: GraphQLSchema = flavor === 'old' ? OLD_SCHEMA : NEW_SCHEMA;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (e) {
      return { result: { errors: [{ message: (e as Error).message }] } as Record<string, unknown> };
    }
    const errors = validate(schema, document);
    if (errors.length) return { result: { errors: errors.map((e) => ({ message: e.message, locations: e.locations })) } as Record<string, unknown> };
    const op = document.definitions.find((d) => d.kind === 'OperationDefinition');
    if (op && 'operation' in op && op.operation === 'subscription') {
      let topic: string | null = null;
      execute({
        schema,
        document,
        variableValues: variables,
        rootValue: {
          chatMessage: (a: Record<string, unknown>) => ((topic = a.channelId == null ? 'chat' : `chat:${a.channelId}`), null),
          channel: (a: Record<string, unknown>) => ((topic = `channel:${a.id}`), null),
        },
      });
      return { subscribe: { topic: topic ?? 'none', document } };
    }
    const result = await graphql({ schema, source: query, rootValue: root(flavor, access, via), variableValues: variables, contextValue: { access } });
    const crash = result.errors?.find((e) => e.originalError instanceof Crash);
    if (crash) return { crash: (crash.originalError as Crash).status };
    return { result: JSON.parse(JSON.stringify(result)) as Record<string, unknown> };
  }

  // ---- access (facts §2) ----
  const tokenAccess = (token: string | null | undefined): Access | null => {
    const grant = token == null ? undefined : tokens.get(token);
    const user = grant && userByName(grant.user);
    return user ? { user, scopes: new Set(grant.scopes.split(/\s+/).filter(Boolean)) } : null;
  };
  const clientAccess = (id: string | null | undefined): Access | null => (id != null && clientIds.has(id) ? { user: null, scopes: new Set() } : null);

  // ---- socket ----
  function push(conn: Conn, joinRef: unknown, ref: unknown, topic: string, event: string, payload: unknown): void {
    if (conn.ws.readyState === 1) conn.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
  }
  function endControl(conn: Conn, event: 'phx_error' | 'phx_close'): void {
    if (!conn.control) return;
    for (const id of conn.control.subs) subs.delete(id);
    const { joinRef } = conn.control;
    conn.control = null;
    push(conn, joinRef, joinRef, CONTROL, event, {});
  }
  async function onFrame(conn: Conn, text: string, binary: boolean): Promise<void> {
    let json: unknown;
    try {
      json = binary ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    frames.push({ text, json });
    if (!Array.isArray(json) || json.length < 5) {
      conn.ws.close(1011);
      return;
    }
    const [joinRef, ref, topic, event, payload] = json as [unknown, unknown, unknown, unknown, unknown];
    const reply = (status: string, response: unknown, jr: unknown = conn.control?.joinRef ?? null): void => push(conn, jr, ref, String(topic), 'phx_reply', { response, status });
    if (topic === 'phoenix' && event === 'heartbeat') {
      counters.heartbeats++;
      if (!state.muteHeartbeats) reply('ok', {}, null);
      return;
    }
    if (event === 'phx_join') {
      if (topic !== CONTROL) return reply('error', { reason: 'unmatched topic' }, null);
      const previous = conn.control;
      if (previous) for (const id of previous.subs) subs.delete(id);
      conn.control = { joinRef, subs: new Set() };
      conn.joinRefs.push(joinRef);
      counters.joins++;
      reply('ok', {}, joinRef);
      if (previous) push(conn, previous.joinRef, previous.joinRef, CONTROL, 'phx_close', {});
      return;
    }
    if (topic !== CONTROL || !conn.control) {
      if (event === 'phx_leave') return reply('ok', {}, joinRef);
      return reply('error', { reason: 'unmatched topic' }, null);
    }
    if (event === 'phx_leave') {
      reply('ok', {});
      return endControl(conn, 'phx_close');
    }
    if (event === 'unsubscribe' && isMap(payload) && typeof payload.subscriptionId === 'string') {
      counters.unsubscribes++;
      subs.delete(payload.subscriptionId);
      conn.control.subs.delete(payload.subscriptionId);
      return reply('ok', { subscriptionId: payload.subscriptionId });
    }
    if (event !== 'doc' || !isMap(payload)) return endControl(conn, 'phx_error');
    counters.docs++;
    if (state.silentDocs) return; // a doc the server never answers (a stuck resolver)
    const variables = payload.variables ?? {};
    if (!isMap(variables)) return reply('error', { error: 'Could not parse variables as map' });
    const control = conn.control;
    const outcome = await run('old', conn.access, 'socket', String(payload.query ?? ''), variables);
    if (state.docReplyDelayMs) await new Promise((r) => setTimeout(r, state.docReplyDelayMs)); // a slow reply: pushes go first
    const failNow = state.failNow;
    state.failNow = null;
    if (failNow === 'drop') return void conn.ws.terminate();
    if (failNow === '500') return endControl(conn, 'phx_error');
    if (conn.control !== control || state.dropDocReplies) return; // the channel ended meanwhile (or the reply is lost): no reply
    if ('crash' in outcome) return endControl(conn, 'phx_error');
    if ('subscribe' in outcome && outcome.subscribe) {
      const hash = createHash('sha256').update(JSON.stringify([payload.query, variables])).digest('hex').toUpperCase();
      const id = `__absinthe__:doc:${uniq++}:${hash}`;
      subs.set(id, { id, conn, topic: outcome.subscribe.topic, document: outcome.subscribe.document, variables });
      control.subs.add(id);
      counters.subscribes++;
      const racing = state.postWithSubscribe;
      if (racing && outcome.subscribe.topic.startsWith('chat:')) {
        // A message published the moment the subscription exists: its push follows the reply in the
        // same TCP write (cork), so the client reads both frames in one chunk.
        state.postWithSubscribe = null;
        const socket = (conn.ws as unknown as { _socket: import('node:net').Socket })._socket;
        socket.cork();
        reply('ok', { subscriptionId: id });
        const c = channels.get(outcome.subscribe.topic.slice('chat:'.length))!;
        racing.posted.push(createMessage(userByName(racing.user) ?? addUser(String(nextUser++), racing.user), c, racing.text, {}, true));
        process.nextTick(() => socket.uncork());
        return;
      }
      return reply('ok', { subscriptionId: id });
    }
    const result = outcome.result!;
    reply(result.data !== undefined ? 'ok' : 'error', result);
  }

  // ---- HTTP ----
  async function onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/oauth/token' && req.method === 'POST') {
      const form = new URLSearchParams(raw);
      const app = apps.get(form.get('client_id') ?? '');
      requests.push({ path: url.pathname, authorization: undefined, body: Object.fromEntries(form) });
      if (form.get('grant_type') !== 'client_credentials' || !app || app.secret !== form.get('client_secret')) {
        return send(401, { error: 'invalid_client', error_description: 'Invalid client_id or client_secret.' });
      }
      const token = `glm-issued-${++state.tokenCount}`;
      tokens.set(token, { user: app.user, scopes: form.get('scope') ?? '' });
      return send(200, { access_token: token, expires_in: app.expiresIn ?? 86400, token_type: 'bearer' });
    }
    if (url.pathname !== '/api/graph' || req.method !== 'POST') return send(404, { error: 'not found' });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(400, 'Bad Request');
    }
    const header = req.headers.authorization;
    requests.push({ path: url.pathname, authorization: header, body });
    const bearer = header ? /^(?:Bearer|bearer) (.*)$/s.exec(header) : null;
    const client = header ? /^(?:Client-ID|client-id) (.*)$/s.exec(header) : null;
    let access: Access | null;
    if (bearer) {
      access = tokenAccess(bearer[1]);
      if (!access) return send(401, { errors: [{ message: 'Given access token is invalid, revoked, or expired.', header_error: 'invalid_access_token' }] });
    } else if (client) {
      access = clientAccess(client[1]);
      if (!access) return send(500, 'Internal Server Error');
    } else return send(401, { errors: [{ message: 'You must be logged in to access the api' }] });
    if (!isMap(body) || typeof body.query !== 'string') return send(400, { errors: [{ message: 'No query document supplied' }] });
    const outcome = await run('new', access, 'http', body.query, isMap(body.variables) ? body.variables : {});
    const failNow = state.failNow;
    state.failNow = null;
    if (failNow === 'drop') return void req.socket.destroy();
    if (failNow === '500') return send(500, 'Internal Server Error');
    if ('crash' in outcome) return send(outcome.crash!, outcome.crash === 404 ? 'Not Found' : 'Internal Server Error');
    if ('subscribe' in outcome) return send(400, { errors: [{ message: 'subscriptions over HTTP are not modelled' }] });
    send(200, outcome.result);
  }

  const server = http.createServer((req, res) => {
    onHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const vsn = q.get('vsn') ?? '1.0.0';
    const access = url.pathname === '/api/socket/websocket' && /^2\.0\.\d+$/.test(vsn) ? (q.has('client_id') ? clientAccess(q.get('client_id')) : tokenAccess(q.get('token'))) : null;
    const status = url.pathname !== '/api/socket/websocket' ? 404 : access ? 101 : 403;
    upgrades.push({ query: Object.fromEntries(q), status, headers: req.headers });
    if (!access) {
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, access, control: null, joinRefs: [] };
      conns.add(conn);
      let idle: NodeJS.Timeout | undefined;
      const touch = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => ws.close(1000), state.idleTimeoutMs);
      };
      touch();
      let queue = Promise.resolve();
      ws.on('message', (data, isBinary) => {
        touch();
        const text = data.toString();
        queue = queue.then(() => onFrame(conn, text, isBinary)).catch(() => {});
      });
      ws.on('close', () => {
        clearTimeout(idle);
        if (conn.control) for (const id of conn.control.subs) subs.delete(id);
        conns.delete(conn);
      });
      ws.on('error', () => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const open = (): Conn[] => [...conns].filter((c) => c.ws.readyState === 1);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token: [...tokens.keys()][0]!,
    clientId: [...clientIds][0]!,
    state,
    frames,
    upgrades,
    requests,
    mutations,
    counters,
    messages,
    addToken(token: string, user: string, scopes: string): void {
      tokens.set(token, { user, scopes });
    },
    addApp(id: string, secret: string, user: string, expiresIn?: number): void {
      apps.set(id, expiresIn === undefined ? { secret, user } : { secret, user, expiresIn });
    },
    /** A message from `user` (created if unknown) in a channel (id or streamer name); pushed to subscribers. */
    post(channel: string, user: string, text: string, flags: Partial<TestMessage> = {}): TestMessage {
      const c = channels.get(channel) ?? [...channels.values()].find((x) => x.streamerId === userByName(channel)?.id);
      if (!c) throw new Error(`no channel ${channel}`);
      const u = userByName(user) ?? addUser(String(nextUser++), user);
      return createMessage(u, c, text, flags);
    },
    /** Stores a message without pushing it (as if it arrived while nobody listened). */
    store(channel: string, user: string, text: string, insertedAt = naive()): TestMessage {
      const u = userByName(user) ?? addUser(String(nextUser++), user);
      const m: TestMessage = { id: String(nextMessage++), channelId: channel, userId: u.id, message: text, insertedAt, isFollowedMessage: false, isSubscriptionMessage: false };
      messages.push(m);
      return m;
    },
    setLive(channel: string, live: boolean, title?: string): void {
      const c = channels.get(channel)!;
      c.live = live;
      if (title !== undefined) c.title = title;
      publish(`channel:${c.id}`, { channel: channelView(c, 'old') });
    },
    setBlockLinks(channel: string, on: boolean): void {
      channels.get(channel)!.blockLinks = on;
    },
    ban(channel: string, username: string, minutes: number | null = null): void {
      bans.set(`${channel}:${userByName(username)!.id}`, minutes === null ? null : Date.now() + minutes * 60000);
    },
    /** Network fault: every socket terminated without a close frame. */
    dropSockets(): void {
      for (const c of conns) c.ws.terminate();
    },
    /** The server closes every socket with `code` (1000 = idle close, 1011 = crash). */
    closeSockets(code: number): void {
      for (const c of open()) c.ws.close(code);
    },
    crashControl(): void {
      for (const c of open()) endControl(c, 'phx_error');
    },
    closeControl(): void {
      for (const c of open()) endControl(c, 'phx_close');
    },
    /**
     * A late phx_close of the previous control join on each socket, with that join's ref (what socket.ex
     * queues after a duplicate join, facts §4), while the current join stays.
     */
    staleClose(): void {
      for (const c of open()) {
        const old = c.joinRefs.at(-2);
        if (old === undefined) throw new Error('staleClose: this socket joined the control topic only once');
        push(c, old, old, CONTROL, 'phx_close', {});
      }
    },
    /**
     * The next chat subscription gets a message from `user` posted at the moment it is made: the push
     * follows the subscribe reply in the same TCP write. Returns the list the message is put in.
     */
    postWithSubscribe(user: string, text: string): TestMessage[] {
      const posted: TestMessage[] = [];
      state.postWithSubscribe = { user, text, posted };
      return posted;
    },
    pushRaw(frame: string | Buffer, binary = false): void {
      for (const c of open()) c.ws.send(frame, { binary });
    },
    /** subscription:data with an arbitrary payload on every live subscription of a topic. */
    pushData(topic: string, payload: (subId: string) => unknown): void {
      for (const s of subs.values()) if (s.topic === topic) push(s.conn, null, null, s.id, 'subscription:data', payload(s.id));
    },
    subscriptions: (): { id: string; topic: string }[] => [...subs.values()].filter((s) => s.conn.ws.readyState === 1).map(({ id, topic }) => ({ id, topic })),
    openSockets: (): number => open().length,
    async close(): Promise<void> {
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
