/**
 * The chatapi `socketio` transport (the Python ChatAPI, facts §B3–B5) against
 * test/servers/chatapi-socketio (the official `socket.io` server): the shared suite, then what only
 * Socket.IO has (the auth payload and path, Socket.IO's own reconnection off, joins refused for
 * non-members, the socket history fallback, REST sends without a connection, no edit capability).
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession } from '../../src/connectors/chatapi/index.js';
import type { ConnectorSession } from '../../src/core/connector.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startSocketIoServer, type SocketIoTestServer } from '../servers/chatapi-socketio/server.js';
import { chatapiSuite, type ChatApiDriver } from './chatapi-suite.js';

const ROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';
const OTHER = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a02';
const SECRET = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a03';
const ROOMS = [
  { id: ROOM, name: 'general', description: 'Everything', members: ['alice', 'bob'] },
  { id: OTHER, name: 'random', members: ['alice', 'bob'] },
  { id: SECRET, name: 'secret', members: ['boss'] },
];

function driver(s: SocketIoTestServer): ChatApiDriver {
  return {
    url: s.url,
    room: ROOM,
    other: OTHER,
    profile: { protocol: 'socketio', userId: 'alice', userName: 'Alice' },
    token: 'scoped-key-alice',
    bad: 'not-a-key',
    post: (room, sender, text) => s.post(room, sender, 'Bob', text).id,
    store: (room, sender, text) => s.store(room, sender, 'Bob', text).id,
    typing: (room, user, on) => s.typing(room, user, 'Bob', on),
    online: (user) => s.online(user),
    offline: (user) => s.offline(user),
    typingSent: () => s.events.flatMap((e) => (e.event === 'typing_start' ? [true] : e.event === 'typing_stop' ? [false] : [])),
    push: (frame, binary) => {
      if (binary) return s.push('message', frame);
      const f = typeof frame === 'string' ? { event: 'message', data: frame } : (frame as { event: string; data: unknown });
      s.push(f.event, f.data);
    },
    hostile: [
      { event: 'message', data: 'not an object' }, { event: 'message', data: null }, { event: 'message', data: [1, 2] },
      { event: 'message', data: { room_id: ROOM } }, { event: 'message', data: { room_id: ROOM, message_id: { a: 1 }, content: 'x' } },
      { event: 'message', data: { room_id: 7, message_id: 'm', content: 'x' } },
      { event: 'message', data: { room_id: ROOM, message_id: 'm-weird', content: 5, sender_display_name: ['a'], created_at: 'never' } },
      { event: 'message', data: { room_id: ROOM, message_id: 'huge', content: 'x'.repeat(1024 * 1024 + 10) } },
      { event: 'typing_start', data: { room_id: ROOM, user_id: null } }, { event: 'online_users', data: { users: 'all' } },
      { event: 'online_users', data: { users: [null, 3, { a: 1 }] } }, { event: 'user_online', data: { user_id: { x: 1 } } },
      { event: 'rooms', data: { rooms: 'x' } }, { event: 'connected', data: { user_id: 42 } }, { event: 'notification', data: { subject: { x: 1 } } },
      { event: 'error', data: 'x' }, { event: 'x'.repeat(200), data: {} }, { event: 'messages', data: { messages: [null] } },
      { event: 'message', data: { room_id: ROOM, message_id: 'deep', content: 'x', meta: JSON.parse('['.repeat(500) + ']'.repeat(500)) } },
    ],
    validFrame: (r, i, round) => {
      const id = `fz${round}-${i}`;
      const kinds = [
        () => ['message', { message_id: id, room_id: ROOM, content: `hi ${i}`, content_type: 'text', sender_user_id: `u${r.int(50)}`, sender_display_name: `User ${r.int(50)}`, reply_to_id: null, is_edited: false, created_at: '2025-07-01T12:00:00.123456+00:00' }],
        () => [r.pick(['typing_start', 'typing_stop']), { user_id: `u${r.int(50)}`, display_name: 'U', room_id: ROOM }],
        () => [r.pick(['user_online', 'user_offline']), { user_id: `u${round}-${i}`, client_id: 'c1' }],
        () => ['user_joined_room', { user_id: `u${r.int(50)}`, display_name: 'U', room_id: ROOM }],
        () => ['online_users', { users: [`u${r.int(50)}`, 'alice'] }],
        () => ['pong', {}],
        () => ['error', { message: 'Failed to send message' }],
      ];
      const [event, data] = (r.int(2) ? kinds[0]! : r.pick(kinds))();
      return { event, data };
    },
    // Socket.IO carries JSON values (any shape) and binary attachments; a frame that is not a Socket.IO packet would be the library's parse error.
    fuzzSend: (f) => {
      if (f.binary) return s.push('message', f.data);
      let v: unknown;
      try {
        v = JSON.parse(f.data as string);
      } catch {
        return s.push('message', f.data);
      }
      const o = v as { event?: unknown; data?: unknown } | null;
      let data: string | undefined;
      try {
        data = o && typeof o === 'object' && typeof o.event === 'string' ? JSON.stringify(o.data ?? null) : undefined;
      } catch {
        data = undefined; // too deep to encode again: the whole frame is the payload
      }
      if (data !== undefined) s.raw(`2[${JSON.stringify((o as { event: string }).event)},${data}]`);
      else s.raw(`2["message",${f.data as string}]`);
    },
    drop: (code) => s.drop(code !== undefined),
    accepted: () => s.accepted(),
    openNow: () => s.open().length,
    bobName: 'Bob',
    close: () => s.close(),
  };
}

chatapiSuite('socketio', async () => driver(await startSocketIoServer({ rooms: ROOMS })));

describe('chatapi socketio only', () => {
  const servers: SocketIoTestServer[] = [];
  const sessions: ConnectorSession[] = [];
  afterEach(async () => {
    for (const x of sessions.splice(0)) await x.disconnect();
    for (const x of servers.splice(0)) await x.close();
  });
  async function open(o: { profile?: Partial<NamedProfile>; token?: string; connect?: boolean } = {}) {
    const s = await startSocketIoServer({ rooms: ROOMS });
    servers.push(s);
    const events: ConnectorEvent[] = [];
    const session = createChatApiSession(
      { profile: { name: 'c', service: 'chatapi', url: s.url, rooms: [ROOM], protocol: 'socketio', userId: 'alice', userName: 'Alice', ...o.profile }, token: o.token ?? 'scoped-key-alice', emit: (e) => events.push(e), saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), replyTimeoutMs: 2000 },
    );
    sessions.push(session);
    if (o.connect !== false) await session.connect(new AbortController().signal);
    return { s, session, events };
  }
  const waitFor = async <T>(fn: () => T | undefined | false, what: string, ms = 5000): Promise<T> => {
    const until = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  test('the handshake: path /sockets/, auth {api_key, user_id, display_name}, Bearer on REST, get_rooms and online_users with no argument', async () => {
    const { s, session } = await open({ profile: { rooms: ['general'] } });
    const sock = s.open()[0]!;
    assert.deepEqual(sock.handshake.auth, { api_key: 'scoped-key-alice', user_id: 'alice', display_name: 'Alice' });
    assert.match(sock.handshake.url, /^\/sockets\/\?EIO=4&transport=websocket/);
    assert.ok(s.requests.length > 0 && s.requests.every((r) => r.headers.authorization === 'Bearer scoped-key-alice'));
    const sent = (ev: string) => s.events.filter((e) => e.event === ev);
    assert.deepEqual(sent('get_rooms').map((e) => e.args), [[]]);
    await waitFor(() => sent('online_users').length === 1, 'online_users');
    assert.deepEqual(sent('online_users')[0]!.args, []);
    assert.deepEqual(sent('join_room').map((e) => e.args), [[{ room_id: ROOM }]]);
    assert.equal(session.capabilities.edits, false, 'the Python server pushes no edits or deletes');
    assert.equal(session.capabilities.history && session.capabilities.typingSend && session.capabilities.join, true);
  });

  test('a scoped key names the user: the connected event replaces the profile user id', async () => {
    const { session } = await open({ profile: { userId: 'someone-else' } });
    await waitFor(() => session.me?.()?.id === 'alice', 'me from connected');
  });

  test("Socket.IO's own reconnection is off: one drop is one new connection, made by the link", async () => {
    const { s, events } = await open();
    s.drop();
    await waitFor(() => s.accepted() === 2 && s.open().length === 1, 'reconnected');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.accepted(), 2);
    assert.equal(events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length, 1);
  });

  test('a room the account is not a member of: join refused (forbidden); a profile of only that room fails', async () => {
    const { session } = await open();
    await assert.rejects(session.joinRoom!(SECRET), (e: unknown) => e instanceof ChatError && e.code === 'forbidden' && /not a member/.test(e.message));
    const other = await open({ profile: { rooms: [SECRET] }, connect: false });
    await assert.rejects(other.session.connect(new AbortController().signal), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
  });

  test('REST history answering 500: the socket get_messages gives the page instead', async () => {
    const { s, session } = await open();
    for (let i = 1; i <= 30; i++) s.store(ROOM, 'bob', 'Bob', `m${i}`);
    s.breakHistory(true);
    const last = await session.history!(ROOM, { limit: 10 });
    assert.deepEqual(last.map((m) => m.text), Array.from({ length: 10 }, (_, i) => `m${21 + i}`));
    const before = await session.history!(ROOM, { limit: 5, before: last[0]!.id });
    assert.deepEqual(before.map((m) => m.text), ['m16', 'm17', 'm18', 'm19', 'm20']);
    assert.ok(s.events.some((e) => e.event === 'get_messages'));
  });

  test('the server disconnecting us on purpose (a second client of the user): back after at least 2 s, said once', async () => {
    const { s, events } = await open();
    const t0 = Date.now();
    s.drop(true);
    await waitFor(() => s.accepted() === 2 && s.open().length === 1, 'back', 6000);
    assert.ok(Date.now() - t0 >= 1900, `waited (${Date.now() - t0} ms)`);
    assert.ok(events.some((e) => e.type === 'notice' && /another client/.test(e.text)));
  });
});
