/**
 * The chatapi `v2` transport (the Go ChatAPI, facts §B6) against test/servers/chatapi-v2: the shared
 * suite, then what only v2 has (both credential eras, seq acks, 429 + Retry-After, 401 before the
 * upgrade, pushed edits and deletes, the app-level ping, server.shutdown).
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession } from '../../src/connectors/chatapi/index.js';
import type { ConnectorSession } from '../../src/core/connector.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startV2Server, type V2TestServer } from '../servers/chatapi-v2/server.js';
import { chatapiSuite, type ChatApiDriver } from './chatapi-suite.js';

const ROOM = '7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a01';
const OTHER = '7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a02';
const SECRET = '7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a03';
const ROOMS = [
  { room_id: ROOM, type: 'group' as const, name: 'general', members: ['alice', 'bob'] },
  { room_id: OTHER, type: 'group' as const, name: 'random', members: ['alice', 'bob'] },
  { room_id: SECRET, type: 'group' as const, name: 'secret', members: ['boss'] },
];

function driver(s: V2TestServer, profile: Partial<NamedProfile>): ChatApiDriver {
  let n = 0;
  return {
    url: s.url,
    room: ROOM,
    other: OTHER,
    profile: { protocol: 'v2', ...profile },
    token: s.token('alice'),
    bad: s.token('alice').slice(0, -4) + 'AAAA',
    post: (room, sender, text) => s.post(room, sender, text).message_id,
    store(room, sender, text) {
      const r = s.rooms.get(room)!;
      const saved = r.members;
      r.members = [];
      const m = s.post(room, sender, text);
      r.members = saved;
      return m.message_id;
    },
    typing: (room, user, on) => s.typing(room, user, on),
    online: (user) => s.presence(user, 'online'),
    offline: (user) => s.presence(user, 'offline'),
    typingSent: () => s.sockets.flatMap((x) => x.frames).flatMap((f) => {
      const t = (f as { type?: string } | undefined)?.type;
      return t === 'typing.start' ? [true] : t === 'typing.stop' ? [false] : [];
    }),
    push: (frame) => s.push(frame),
    hostile: [
      'not json', '{"type":', '[]', 'null', '42', { type: 42 }, { data: {} }, { type: 'message' },
      { type: 'message', room_id: ROOM, seq: 'x', message_id: 'm', content: 'x' },
      { type: 'message', room_id: ROOM, seq: 5, message_id: { a: 1 }, content: 'x' },
      { type: 'message', room_id: ROOM, seq: -1, message_id: 'neg', content: 'x' },
      { type: 'message', room_id: ROOM, seq: 1e6, message_id: 'm-weird', content: 5, sender_id: ['a'], created_at: 'never', meta: '{"mentions":' },
      { type: 'message.edited', room_id: ROOM, message_id: 'nope' },
      { type: 'message.deleted', room_id: 7 },
      { type: 'typing', room_id: 7, user_id: null },
      { type: 'presence.update', user_id: { x: 1 }, status: 'online' },
      { type: 'error', data: 'x' },
      { type: 'server.shutdown', reconnect_after_ms: 'soon' },
      { type: 'x'.repeat(100) },
      JSON.stringify({ type: 'message', room_id: ROOM, seq: 3, message_id: 'deep', content: 'x', meta: JSON.parse('['.repeat(500) + ']'.repeat(500)) }),
      JSON.stringify({ type: 'message', room_id: ROOM, seq: 4, message_id: 'huge', content: 'x'.repeat(1024 * 1024 + 10) }),
    ],
    validFrame: (r, i, round) => {
      const kinds = [
        () => ({ type: 'message', room_id: ROOM, seq: 100_000 * round + i, message_id: `fz${round}-${i}`, sender_id: `u${r.int(50)}`, content: `hi ${i}`, created_at: '2026-04-02T12:10:00Z', meta: '{"mentions":["alice"]}' }),
        () => ({ type: 'message.edited', room_id: ROOM, message_id: `fz${round}-${r.int(i + 1)}`, content: 'edited', seq: 1, sender_id: 'u1' }),
        () => ({ type: 'message.deleted', room_id: ROOM, message_id: `fz${round}-${r.int(i + 1)}`, seq: 1 }),
        () => ({ type: 'typing', room_id: ROOM, user_id: `u${r.int(50)}`, action: r.int(2) ? 'start' : 'stop' }),
        () => ({ type: 'presence.update', user_id: `u${round}-${i}`, status: r.int(2) ? 'online' : 'offline', timestamp: 1 }),
        () => ({ type: 'ack.received', room_id: ROOM, seq: 3, user_id: 'bob' }),
        () => ({ type: 'error', data: { code: 'rate_limited', message: 'too many requests' } }),
      ];
      return (r.int(2) ? kinds[0]! : r.pick(kinds))();
    },
    drop: (code) => s.drop(code),
    accepted: () => s.sockets.length,
    openNow: () => s.open().length,
    bobName: 'bob',
    close: () => s.close(),
  };
}

chatapiSuite('v2 (JWT)', async () => driver(await startV2Server({ rooms: ROOMS }), {}));
chatapiSuite('v2 (tenant API key)', async () => {
  const s = await startV2Server({ rooms: ROOMS, auth: 'apikey' });
  const d = driver(s, { userId: 'alice' });
  d.bad = 'wrong-key';
  return d;
});

describe('chatapi v2 only', () => {
  const servers: V2TestServer[] = [];
  const sessions: ConnectorSession[] = [];
  afterEach(async () => {
    for (const x of sessions.splice(0)) await x.disconnect();
    for (const x of servers.splice(0)) await x.close();
  });
  async function open(o: { auth?: 'jwt' | 'apikey'; profile?: Partial<NamedProfile>; session?: Parameters<typeof createChatApiSession>[1] } = {}) {
    const s = await startV2Server({ rooms: ROOMS, ...(o.auth ? { auth: o.auth } : {}) });
    servers.push(s);
    const events: ConnectorEvent[] = [];
    const session = createChatApiSession(
      { profile: { name: 'c', service: 'chatapi', url: s.url, rooms: [ROOM], protocol: 'v2', ...o.profile }, token: s.token('alice'), emit: (e) => events.push(e), saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), ...o.session },
    );
    sessions.push(session);
    await session.connect(new AbortController().signal);
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

  test('JWT: Bearer on REST and on the upgrade, no secret in a URL; our user is the token subject', async () => {
    const { s, session } = await open();
    const sock = s.sockets[0]!;
    assert.equal(sock.headers.authorization, `Bearer ${s.token('alice')}`);
    assert.ok(!sock.url.includes('token='), sock.url);
    assert.ok(s.requests.every((r) => r.headers.authorization === `Bearer ${s.token('alice')}`));
    assert.deepEqual(session.me?.(), { id: 'alice', name: 'alice' });
  });

  test('tenant era: X-API-Key and X-User-Id on REST and on the upgrade', async () => {
    const { s } = await open({ auth: 'apikey', profile: { userId: 'alice' } });
    assert.equal(s.sockets[0]!.headers['x-api-key'], s.apiKey);
    assert.equal(s.sockets[0]!.headers['x-user-id'], 'alice');
    assert.ok(s.requests.every((r) => r.headers['x-api-key'] === s.apiKey && r.headers['x-user-id'] === 'alice'));
  });

  test('429 with Retry-After: rate_limited with retryAfterMs (the outbox waits it)', async () => {
    const { s, session } = await open();
    s.rateLimit(1);
    await assert.rejects(session.send(ROOM, 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'rate_limited' && e.retryAfterMs === 1000 && e.retryable);
    const ok = await session.send(ROOM, 'x', 't2');
    assert.equal(ok.text, 'x');
  });

  test('HTTP 429 before the upgrade waits its Retry-After, then connects', async () => {
    const { s, events } = await open();
    s.refuseUpgrades(1, 429, { 'retry-after': '1' });
    const t0 = Date.now();
    s.drop();
    await waitFor(() => s.open().length === 1, 'reconnected', 5000);
    assert.ok(Date.now() - t0 >= 900, `waited the Retry-After (${Date.now() - t0} ms)`);
    assert.ok(events.some((e) => e.type === 'error' && e.code === 'rate_limited'));
  });

  test('pushed edits and deletes become message.edit / message.delete', async () => {
    const { s, events } = await open();
    const m = s.post(ROOM, 'bob', 'tpyo');
    await waitFor(() => events.some((e) => e.type === 'message'), 'message');
    s.edit(ROOM, m.message_id, 'typo');
    const ed = await waitFor(() => events.find((e) => e.type === 'message.edit'), 'edit');
    assert.deepEqual(ed.type === 'message.edit' && [ed.id, ed.text], [m.message_id, 'typo']);
    s.remove(ROOM, m.message_id);
    await waitFor(() => events.some((e) => e.type === 'message.delete' && e.id === m.message_id), 'delete');
  });

  test('delivered messages are acked with their seq; the app-level ping keeps the socket open', async () => {
    const { s } = await open({ session: { ackEveryMs: 20, pingIntervalMs: 50 } });
    s.post(ROOM, 'bob', 'one');
    s.post(ROOM, 'bob', 'two');
    const frames = (): unknown[] => s.sockets.flatMap((x) => x.frames);
    await waitFor(() => frames().some((f) => (f as { type?: string }).type === 'ack'), 'an ack');
    assert.deepEqual(frames().filter((f) => (f as { type?: string }).type === 'ack').at(-1), { type: 'ack', data: { room_id: ROOM, seq: 2 } });
    await waitFor(() => frames().filter((f) => (f as { type?: string }).type === 'ping').length >= 3, 'pings');
    assert.deepEqual(frames().find((f) => (f as { type?: string }).type === 'ping'), { type: 'ping' });
  });

  test('server.shutdown: the next connection waits reconnect_after_ms', async () => {
    const { s } = await open();
    s.push({ type: 'server.shutdown', reconnect_after_ms: 400 });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    s.drop(1001);
    await waitFor(() => s.sockets.length === 2 && s.open().length === 1, 'reconnected');
    assert.ok(Date.now() - t0 >= 380, `waited (${Date.now() - t0} ms)`);
  });

  test('a room that does not exist is not_found; a profile of only such rooms fails to connect', async () => {
    const s = await startV2Server({ rooms: ROOMS });
    servers.push(s);
    const session = createChatApiSession(
      { profile: { name: 'c', service: 'chatapi', url: s.url, rooms: ['7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a99'], protocol: 'v2' }, token: s.token('alice'), emit: () => {}, saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }) },
    );
    sessions.push(session);
    await assert.rejects(session.connect(new AbortController().signal), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });
});
