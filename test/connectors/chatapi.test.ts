import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession, definition } from '../../src/connectors/chatapi/index.js';
import type { ChatApiSession, ChatApiSessionOptions } from '../../src/connectors/chatapi/session.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent, MessageEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startChatApiServer, type ChatApiTestServer } from '../servers/chatapi/server.js';
import { assertHeapBounded, type FuzzFrame, fuzzRound, type Rng, settledHeap, toMiB } from './fuzz.js';

const ROOM = '550e8400-e29b-41d4-a716-446655440001';
const OTHER = '550e8400-e29b-41d4-a716-446655440009';
const SECRET = '550e8400-e29b-41d4-a716-44665544000f';

async function waitFor<T>(fn: () => T | undefined | false | null, what: string, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Harness {
  server: ChatApiTestServer;
  session: ChatApiSession;
  events: ConnectorEvent[];
  abort: AbortController;
  messages(room?: string): Omit<MessageEvent, 'profile'>[];
}

const open: Harness[] = [];
const servers: ChatApiTestServer[] = [];

async function server(): Promise<ChatApiTestServer> {
  const s = await startChatApiServer({
    rooms: [
      { id: ROOM, name: 'general', description: 'Everything' },
      { id: OTHER, name: 'random' },
      { id: SECRET, name: 'secret', private: ['boss'] },
    ],
  });
  servers.push(s);
  return s;
}

async function harness(
  opts: { profile?: Partial<NamedProfile>; session?: ChatApiSessionOptions; server?: ChatApiTestServer; connect?: boolean } = {},
): Promise<Harness> {
  const s = opts.server ?? (await server());
  const events: ConnectorEvent[] = [];
  const profile: NamedProfile = { name: 'c', service: 'chatapi', protocol: 'docs', url: s.url, userId: 'user_123', userName: 'John Doe', rooms: [ROOM], ...opts.profile };
  const session = createChatApiSession(
    { profile, token: s.apiKey, emit: (ev) => events.push(ev), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), connectedGraceMs: 200, ...opts.session },
  );
  const abort = new AbortController();
  const h: Harness = {
    server: s,
    session,
    events,
    abort,
    messages: (room) => events.filter((e): e is Omit<MessageEvent, 'profile'> => e.type === 'message' && (room === undefined || e.room === room)),
  };
  open.push(h);
  if (opts.connect !== false) await session.connect(abort.signal);
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) await h.session.disconnect();
  for (const s of servers.splice(0)) await s.close();
});

describe('chatapi definition', () => {
  test('capabilities and validation', () => {
    const c = definition.capabilities;
    assert.equal(c.history && c.typingSend && c.typingReceive && c.presence && c.edits && c.roomListing && c.join && c.atMentions, true);
    assert.equal(c.dms || c.readOnly, false);
    assert.throws(() => definition.validate({ service: 'chatapi', userId: 'a\u001b[2Jb' }), /--user-id/);
    definition.validate({ service: 'chatapi', userId: 'u', userName: 'Jane Doe' });
  });
});

describe('chatapi live events', () => {
  test('socket URL, get_online_users on open, presence from connection_status', async () => {
    const h = await harness();
    const sock = await waitFor(() => h.server.openSockets(ROOM)[0], 'a socket');
    assert.equal(sock.query.token, h.server.apiKey);
    assert.equal(sock.query.user_id, 'user_123');
    assert.equal(sock.query.user_name, 'John Doe');
    await waitFor(() => sock.frames.some((f) => (f as { type?: string }).type === 'get_online_users'), 'get_online_users');
    assert.deepEqual(sock.frames[0], { type: 'get_online_users', data: {} });
    const p = await waitFor(() => h.events.find((e) => e.type === 'presence'), 'presence');
    assert.deepEqual(p.type === 'presence' && p.online, [{ id: 'user_123', name: 'John Doe' }]);
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'connected' && e.room === ROOM));
  });

  test('every incoming type maps to a core event', async () => {
    const h = await harness();
    const s = h.server;
    await waitFor(() => s.openSockets(ROOM).length, 'socket');
    const m = s.post(ROOM, { sender_id: 'user_456', sender_name: 'Jane Smith', content: 'Hello everyone! 👋', meta: { mentions: ['user_123'] } });
    const got = await waitFor(() => h.messages()[0], 'message');
    assert.equal(got.id, m.id);
    assert.equal(got.room, ROOM);
    assert.deepEqual(got.author, { id: 'user_456', name: 'Jane Smith' });
    assert.equal(got.text, 'Hello everyone! 👋');
    assert.equal(got.time, new Date(m.created_at).toISOString());
    assert.deepEqual(got.mentions, ['user_123']);

    s.edit(ROOM, m.id, 'Updated message content! 🎉');
    const ed = await waitFor(() => h.events.find((e) => e.type === 'message.edit'), 'edit');
    assert.deepEqual(ed.type === 'message.edit' && [ed.id, ed.text, ed.room], [m.id, 'Updated message content! 🎉', ROOM]);
    s.remove(ROOM, m.id);
    const del = await waitFor(() => h.events.find((e) => e.type === 'message.delete'), 'delete');
    assert.equal(del.type === 'message.delete' && del.id, m.id);

    s.join(ROOM, 'user_789', 'Jane Smith');
    await waitFor(() => h.events.some((e) => e.type === 'presence' && e.online.some((u) => u.id === 'user_789' && u.name === 'Jane Smith')), 'join presence');
    s.leave(ROOM, 'user_789', 'Jane Smith');
    await waitFor(() => {
      const last = h.events.filter((e) => e.type === 'presence').at(-1);
      return last?.type === 'presence' && !last.online.some((u) => u.id === 'user_789') && last.online.some((u) => u.id === 'user_123');
    }, 'leave presence');

    s.typing(ROOM, 'user_456', 'Jane Smith', true);
    const ty = await waitFor(() => h.events.find((e) => e.type === 'typing'), 'typing');
    assert.deepEqual(ty.type === 'typing' && [ty.user, ty.typing], [{ id: 'user_456', name: 'Jane Smith' }, true]);
    s.typing(ROOM, 'user_456', 'Jane Smith', false);
    await waitFor(() => h.events.some((e) => e.type === 'typing' && !e.typing), 'typing off');
    // our own typing echoed by another of our clients is not shown
    s.typing(ROOM, 'user_123', 'John Doe', true);

    s.notify(ROOM, 'New Message', 'You have a new message from John Doe');
    const n = await waitFor(() => h.events.find((e) => e.type === 'notice' && e.text.includes('New Message')), 'notice');
    assert.equal(n.type === 'notice' && n.text, 'New Message: You have a new message from John Doe');
    assert.equal(h.events.filter((e) => e.type === 'typing' && e.user.id === 'user_123').length, 0);

    // connection_status with ids only: names come from what we learned
    s.push(ROOM, { type: 'connection_status', data: { status: 'connected', online_users: ['user_123', 'user_456'] }, timestamp: new Date().toISOString(), room_id: ROOM });
    await waitFor(() => {
      const last = h.events.filter((e) => e.type === 'presence').at(-1);
      return last?.type === 'presence' && last.online.length === 2 && last.online.some((u) => u.name === 'Jane Smith');
    }, 'presence with names');
  });

  test('online ids get their names from the participants list', async () => {
    const s = await server();
    s.post(ROOM, { sender_id: 'user_456', sender_name: 'Jane Smith', content: 'earlier' }, { broadcast: false });
    const h = await harness({ server: s });
    const sock = await waitFor(() => s.openSockets(ROOM)[0], 'socket');
    await waitFor(() => sock.frames.length > 0, 'get_online_users');
    await delay(50); // its answer has been read
    s.push(ROOM, { type: 'connection_status', data: { status: 'connected', online_users: ['user_123', 'user_456'] }, room_id: ROOM });
    await waitFor(() => h.events.some((e) => e.type === 'presence' && e.online.some((u) => u.id === 'user_456' && u.name === 'Jane Smith')), 'named presence');
    assert.ok(s.requests.some((r) => r.path === `/api/v1/rooms/${ROOM}/participants`));
  });

  test('remote strings are sanitised', async () => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.server.post(ROOM, { sender_id: 'x\u001b[31m', sender_name: 'evil\u001b[2J\u202e', content: 'a\u001b]0;pwned\u0007b\u009b31mc' });
    const m = await waitFor(() => h.messages()[0], 'message');
    assert.equal(m.author.name, 'evil');
    assert.equal(m.author.id, 'x');
    assert.equal(m.text, 'abc');
  });

  test('pings on the heartbeat interval and stays up while pongs come', async () => {
    const h = await harness({ session: { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 200 } });
    const sock = await waitFor(() => h.server.openSockets(ROOM)[0], 'socket');
    await waitFor(() => sock.frames.filter((f) => (f as { type?: string }).type === 'ping').length >= 5, 'pings');
    assert.deepEqual(sock.frames.find((f) => (f as { type?: string }).type === 'ping'), { type: 'ping', data: {} });
    assert.equal(h.server.sockets.length, 1, 'no reconnect while pongs arrive');
  });

  test('liveness: no pong within the window → terminate and reconnect', async () => {
    const h = await harness({ session: { heartbeatIntervalMs: 60, heartbeatTimeoutMs: 60 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.server.silent = true;
    const ev = await waitFor(() => h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting'), 'reconnecting');
    assert.match(ev.type === 'connection' ? (ev.reason ?? '') : '', /heartbeat/);
    assert.ok(ev.type === 'connection' && ev.retryAt && !Number.isNaN(Date.parse(ev.retryAt)));
    h.server.silent = false;
    await waitFor(() => h.server.sockets.length >= 2 && h.server.openSockets(ROOM).length === 1, 'a new socket');
    await waitFor(() => h.events.filter((e) => e.type === 'connection' && e.state === 'connected').length >= 2, 'connected again');
  });

  test('malformed frames never crash; a valid message still arrives', async () => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    const bad: unknown[] = [
      'not json',
      '{"type":',
      '[]',
      'null',
      '42',
      { type: 42 },
      { data: {} },
      { type: 'message' },
      { type: 'message', data: 'x' },
      { type: 'message', data: { id: { a: 1 }, content: 'x' } },
      { type: 'message', data: { id: 'm-weird', content: 5, sender_name: ['a'], created_at: 'never' } },
      { type: 'message_updated', data: { id: 'nope' } },
      { type: 'message_deleted', data: {} },
      { type: 'user_joined', data: { user_id: null } },
      { type: 'typing', data: { user_id: 7, is_typing: 'yes' } },
      { type: 'connection_status', data: { online_users: 'everyone' } },
      { type: 'connection_status', data: { online_users: [null, 3, { user_id: 'obj' }] } },
      { type: 'notification', data: { title: { x: 1 } } },
      { type: 'unknown_type', data: {} },
      { type: 'x'.repeat(100), data: {} },
      JSON.stringify({ type: 'message', data: { id: 'deep', content: 'x', meta: JSON.parse('['.repeat(500) + ']'.repeat(500)) } }),
    ];
    for (const f of bad) h.server.push(ROOM, f);
    h.server.push(ROOM, Buffer.from([0, 1, 2, 255]), { binary: true });
    h.server.push(ROOM, JSON.stringify({ type: 'message', data: { id: 'huge', content: 'x'.repeat(1024 * 1024 + 10) } }));
    h.server.post(ROOM, { sender_id: 'user_456', sender_name: 'Jane', content: 'still here' });
    await waitFor(() => h.messages().some((m) => m.text === 'still here'), 'the valid message');
    assert.ok(!h.messages().some((m) => m.id === 'huge'), 'over-size frame dropped');
    assert.ok(h.events.some((e) => e.type === 'notice' && /1 MiB/.test(e.text)), 'a notice about the big frame');
    assert.ok(h.events.some((e) => e.type === 'notice' && /binary/.test(e.text)));
    assert.ok(h.events.some((e) => e.type === 'notice' && /malformed/.test(e.text)));
    const weird = h.messages().find((m) => m.id === 'm-weird');
    assert.equal(weird?.text, '');
    assert.equal(h.server.sockets.length, 1, 'no reconnect needed');
    for (const e of h.events) {
      assert.ok(!JSON.stringify(e).includes('\\u001b'));
    }
  });

  test('fuzz: 2 × 10,000 random and mutated frames; the heap stays bounded; a valid message arrives after each round', async (t) => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    let round = 0;
    // Every incoming frame type of Doc B, valid, with fresh ids (seen-id sets and name caches fill up as in a flood).
    const valid = (r: Rng, i: number): unknown => {
      const id = `fz${round}-${i}`;
      // One in ten from a new sender with a 20 KB name: the name caches may keep 200 characters of it, not 20 KB.
      const user = r.int(10) ? { user_id: `u${r.int(50)}`, user_name: `User ${r.int(50)}` } : { user_id: `u${round}-${i}`, user_name: `User ${i} ${'n'.repeat(20_000)}` };
      const time = new Date(Date.UTC(2024, 0, 1, 12) + i * 1000).toISOString();
      const kinds: [string, () => unknown][] = [
        ['message', () => ({ id, sender_id: user.user_id, sender_name: user.user_name, content: `hi ${i}`, created_at: time, meta: { mentions: ['user_123'] }, reply_to_id: null })],
        ['message', () => ({ message_id: id, sender_user_id: user.user_id, sender_display_name: user.user_name, content: `hi ${i}`, is_edited: false })],
        ['message_updated', () => ({ id: `fz${round}-${r.int(i + 1)}`, content: 'edited', edited_at: time })],
        ['message_deleted', () => ({ id: `fz${round}-${r.int(i + 1)}` })],
        ['user_joined', () => ({ ...user, joined_at: time, meta: { role: 'member' } })],
        ['user_left', () => ({ ...user, left_at: time })],
        ['typing', () => ({ ...user, is_typing: r.int(2) === 0 })],
        ['notification', () => ({ id, title: 'Title', content: 'body', action_url: '/x', priority: 'normal', icon: 'message' })],
        ['connection_status', () => ({ status: 'connected', online_users: [user.user_id, { user_id: 'u1', user_name: 'One' }] })],
        ['pong', () => ({})],
        ['error', () => ({ message: 'Something went wrong', code: 'X' })],
      ];
      const [type, data] = r.int(2) ? kinds[0]! : r.pick(kinds);
      return { type, data: data(), timestamp: time, room_id: ROOM };
    };
    const send = (f: FuzzFrame): void => h.server.push(ROOM, f.data, { binary: f.binary });
    const heap = [await settledHeap()];
    for (round = 1; round <= 2; round++) {
      const counts = await fuzzRound({ seed: 1000 + round, count: 10_000, valid }, send);
      h.server.post(ROOM, { sender_id: 'user_456', sender_name: 'Jane', content: `after round ${round}` });
      await waitFor(() => h.messages().some((m) => m.text === `after round ${round}`), `the valid message after round ${round}`, 15_000);
      assert.ok(h.messages().length > 1000, `the fuzz's valid frames were parsed (${h.messages().length} messages)`);
      const problems = h.events.filter((e) => e.type === 'notice' && /ignored|dropped|server \(/.test(e.text)).length;
      assert.ok(problems < 50 && (round > 1 || problems > 0), `bad frames get notices, rate-limited (${problems})`);
      for (const m of h.messages()) assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(m.text + m.author.name + m.author.id));
      assert.equal(h.server.sockets.length, 1, 'no reconnect was needed');
      h.events.length = 0; // the test's copy of the events is not the connector's memory
      heap.push(await settledHeap());
      t.diagnostic(`round ${round}: ${JSON.stringify(counts)}; heap ${toMiB(heap[round - 1]!)} → ${toMiB(heap[round]!)} MiB`);
    }
    assertHeapBounded(heap);
  });
});

describe('chatapi presence bound', () => {
  test('user_joined of ever new users keeps the online list at maxOnline; a message still arrives', async () => {
    const h = await harness({ session: { maxOnline: 100 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    for (let i = 0; i < 300; i++) h.server.push(ROOM, { type: 'user_joined', data: { user_id: `flood-${i}`, user_name: `Flood ${i}` }, room_id: ROOM });
    h.server.post(ROOM, { sender_id: 'user_456', sender_name: 'Jane', content: 'after the joins' });
    await waitFor(() => h.messages().some((m) => m.text === 'after the joins'), 'the message');
    const lists = h.events.filter((e) => e.type === 'presence').map((e) => (e.type === 'presence' ? e.online.length : 0));
    assert.equal(Math.max(...lists), 100, 'the online list stops at maxOnline');
    h.server.push(ROOM, { type: 'user_left', data: { user_id: 'flood-0' }, room_id: ROOM });
    h.server.push(ROOM, { type: 'user_joined', data: { user_id: 'flood-299', user_name: 'Late' }, room_id: ROOM });
    await waitFor(() => {
      const last = h.events.filter((e) => e.type === 'presence').at(-1);
      return last?.type === 'presence' && last.online.some((u) => u.id === 'flood-299');
    }, 'room again after a user left');
  });
});

describe('chatapi REST', () => {
  test('send posts with X-API-Key and Bearer and resolves with the server copy', async () => {
    const h = await harness();
    const msg = await h.session.send(ROOM, 'Hi "there" \\ ok', 'txn-1');
    const post = h.server.requests.find((r) => r.method === 'POST');
    assert.ok(post);
    assert.equal(post.path, `/api/v1/rooms/${ROOM}/messages/`);
    assert.equal(post.headers['x-api-key'], h.server.apiKey);
    assert.equal(post.headers.authorization, `Bearer ${h.server.apiKey}`);
    assert.deepEqual(post.body, { content: 'Hi "there" \\ ok', message_type: 'text', sender_id: 'user_123', sender_name: 'John Doe', meta: { client_message_id: 'txn-1' } });
    assert.equal(msg.txnId, 'txn-1');
    assert.equal(msg.profile, 'c');
    assert.equal(msg.id, h.server.messages.get(ROOM)?.[0]?.id);
    assert.equal(msg.text, 'Hi "there" \\ ok');
    // the live copy carries the txnId too (the server broadcasts it before it answers the POST), and comes once
    await waitFor(() => h.messages().length === 1, 'live copy');
    await delay(50);
    assert.equal(h.messages().length, 1);
    assert.equal(h.messages()[0]?.txnId, 'txn-1');
    assert.equal(h.messages()[0]?.id, msg.id);
  });

  test('bare bodies (the real server) work as well as the envelope', async () => {
    const h = await harness();
    h.server.bare = true;
    const msg = await h.session.send(ROOM, 'bare', 't');
    assert.equal(msg.text, 'bare');
    const hist = await h.session.history(ROOM, { limit: 5 });
    assert.deepEqual(hist.map((m) => m.text), ['bare']);
    const rooms = await h.session.listRooms();
    assert.deepEqual(rooms.map((r) => r.name), ['general', 'random', 'secret']);
  });

  test('history: latest N oldest first, before cursor, paging beyond 100', async () => {
    const h = await harness();
    for (let i = 1; i <= 250; i++) h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: `m${i}` }, { broadcast: false });
    const last10 = await h.session.history(ROOM, { limit: 10 });
    assert.deepEqual(last10.map((m) => m.text), Array.from({ length: 10 }, (_, i) => `m${241 + i}`));
    const before = await h.session.history(ROOM, { limit: 5, before: last10[0]!.id });
    assert.deepEqual(before.map((m) => m.text), ['m236', 'm237', 'm238', 'm239', 'm240']);
    const many = await h.session.history(ROOM, { limit: 230 });
    assert.equal(many.length, 230);
    assert.equal(many[0]?.text, 'm21');
    assert.equal(many.at(-1)?.text, 'm250');
    assert.equal(new Set(many.map((m) => m.id)).size, 230);
    const limits = h.server.requests.filter((r) => r.method === 'GET' && r.path.includes('/messages')).map((r) => Number(r.query.limit));
    assert.ok(limits.every((l) => l >= 1 && l <= 100), `limits ${limits.join(',')}`);
  });

  test('rooms: listRooms, names learned, resolveRoom by name', async () => {
    const h = await harness();
    const list = await h.session.listRooms();
    assert.deepEqual(list.map((r) => [r.id, r.name]), [[ROOM, 'general'], [OTHER, 'random'], [SECRET, 'secret']]);
    assert.equal(list[0]?.topic, 'Everything');
    await waitFor(() => h.session.rooms().find((r) => r.id === ROOM)?.name === 'general', 'room name');
    assert.ok(h.events.some((e) => e.type === 'room' && e.room === ROOM && e.name === 'general'));
    assert.equal((await h.session.resolveRoom('#Random')).id, OTHER);
    await assert.rejects(h.session.resolveRoom('nope'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });

  test('redirects are followed within the origin only (the key never goes to another host)', async () => {
    const h = await harness();
    h.server.redirect(1, '');
    const sent = await h.session.send(ROOM, 'via redirect', 't');
    assert.equal(sent.text, 'via redirect');
    assert.equal(h.server.messages.get(ROOM)?.length, 1);
    const other = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general' }] });
    servers.push(other);
    h.server.redirect(1, other.url.replace('127.0.0.1', 'localhost'));
    await assert.rejects(h.session.send(ROOM, 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'protocol' && /another host/.test(e.message));
    assert.equal(other.requests.length, 0);
  });

  test('rooms given by name are looked up at connect; an unknown name is not_found', async () => {
    const s = await server();
    const h = await harness({ server: s, profile: { rooms: ['general', '#random', 'nope'] } });
    await waitFor(() => s.openSockets(ROOM).length === 1 && s.openSockets(OTHER).length === 1, 'both sockets');
    assert.deepEqual(h.session.rooms().map((r) => [r.id, r.name]), [[ROOM, 'general'], [OTHER, 'random']]);
    assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'not_found' && /nope/.test(e.message)));
    const h2 = await harness({ server: s, profile: { rooms: ['nope'] }, connect: false });
    await assert.rejects(h2.session.connect(h2.abort.signal), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });

  test('HTTP errors: 429 → rate_limited with retryAfterMs, 401 auth, 404 not_found, both error shapes', async () => {
    const h = await harness();
    h.server.rateLimit(1, 7, 'POST');
    await assert.rejects(h.session.send(ROOM, 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'rate_limited' && e.retryAfterMs === 7000 && e.retryable);
    h.server.errorShape = 'detail';
    await assert.rejects(h.session.send('550e8400-e29b-41d4-a716-446655440777', 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'not_found' && /Room not found/.test(e.message));
    h.server.errorShape = 'error';
    await assert.rejects(h.session.send(ROOM, '   ', 't'), (e: unknown) => e instanceof ChatError && e.code === 'protocol' && !e.retryable && /content is required/.test(e.message));
    const bad = await harness({ server: h.server, connect: false });
    (bad.session as unknown as { transport: { opts: { token: string } } }).transport.opts.token = 'sk_wrong';
    await assert.rejects(bad.session.send(ROOM, 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'auth' && !e.message.includes('sk_wrong'));
  });
});

describe('chatapi close codes and reconnect', () => {
  test('4001: auth error, no retry, connect rejects', async () => {
    const s = await server();
    const events: ConnectorEvent[] = [];
    const session = createChatApiSession(
      { profile: { name: 'c', service: 'chatapi', protocol: 'docs', url: s.url, rooms: [ROOM] }, token: 'sk_wrong', emit: (e) => events.push(e), saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 5, capMs: 10 }) },
    );
    await assert.rejects(session.connect(new AbortController().signal), (e: unknown) => e instanceof ChatError && e.code === 'auth' && /4001/.test(e.message));
    await delay(200);
    assert.equal(s.sockets.length, 1, 'no retry');
    assert.ok(events.some((e) => e.type === 'error' && e.code === 'auth'));
    assert.ok(events.some((e) => e.type === 'connection' && e.state === 'failed'));
    assert.ok(!JSON.stringify(events).includes('sk_wrong'));
    await session.disconnect();
  });

  test('an upgrade answered with HTTP 404 is not_found, without retry and without the key in the error', async () => {
    const s = await server();
    const h = await harness({ server: s, profile: { url: `${s.url}/nothing-here` }, connect: false });
    await assert.rejects(h.session.connect(h.abort.signal), (e: unknown) => e instanceof ChatError && e.code === 'not_found' && !e.message.includes(s.apiKey));
    await delay(100);
    assert.ok(!JSON.stringify(h.events).includes(s.apiKey));
    assert.equal(h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length, 0);
  });

  test('server down at start: keeps retrying with reconnecting events, rejects connect on disconnect', async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const h = await harness({ server: s, profile: { url }, connect: false });
    let settled: unknown = 'pending';
    const connected = h.session.connect(h.abort.signal).then(() => (settled = 'resolved'), (e: unknown) => (settled = e));
    await waitFor(() => h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length >= 3, 'retries');
    const rc = h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.match(rc?.type === 'connection' ? (rc.reason ?? '') : '', /econnrefused|reach/i);
    assert.equal(h.events.filter((e) => e.type === 'error').length, 1, 'the first failure is said once, not once per retry');
    await h.session.disconnect();
    await connected;
    assert.ok(settled instanceof ChatError, 'connect rejects once disconnected');
  });

  test('the socket handshake asks for no permessage-deflate from a server that offers it', async () => {
    const h = await harness();
    const sock = await waitFor(() => h.server.openSockets(ROOM)[0], 'a socket');
    assert.ok(!/permessage-deflate/.test(sock.extensions ?? ''), `Sec-WebSocket-Extensions: ${sock.extensions}`);
  });

  test('close 1008 (policy): waits the backoff cap, says the server reason, fails as protocol after 3 in a row', async () => {
    const s = await server();
    s.refuseSockets(10, 1008, 'Policy: client sent garbage');
    const h = await harness({ server: s, connect: false, session: { backoff: () => new Backoff({ baseMs: 1, capMs: 60, random: () => 0 }) } });
    await assert.rejects(h.session.connect(h.abort.signal), (e: unknown) => e instanceof ChatError && e.code === 'protocol' && /1008/.test(e.message));
    assert.equal(s.sockets.length, 3, 'stopped after 3 policy closes instead of hammering');
    const waits = h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.equal(waits.length, 2);
    for (const w of waits) {
      assert.match(w.type === 'connection' ? (w.reason ?? '') : '', /1008 policy violation: Policy: client sent garbage/);
      assert.ok(w.type === 'connection' && Date.parse(w.retryAt ?? '') - Date.now() > -1000);
    }
    const opened = s.sockets.map((x) => x.openedAt);
    assert.ok(opened[1]! - opened[0]! >= 50 && opened[2]! - opened[1]! >= 50, `waited the cap (${opened.join(', ')})`);
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed' && e.room === ROOM));
    await delay(150);
    assert.equal(s.sockets.length, 3);
  });

  test('4002 not_found and 4003 forbidden end the room without retry', async () => {
    const s = await server();
    const h1 = await harness({ server: s, profile: { rooms: ['550e8400-e29b-41d4-a716-446655440777'] }, connect: false });
    await assert.rejects(h1.session.connect(h1.abort.signal), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    const h2 = await harness({ server: s, profile: { rooms: [SECRET] }, connect: false });
    await assert.rejects(h2.session.connect(h2.abort.signal), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
    await delay(100);
    assert.equal(s.sockets.length, 2);
  });

  test('one refused room does not fail a profile with another good room', async () => {
    const h = await harness({ profile: { rooms: [SECRET, ROOM] } });
    await waitFor(() => h.events.some((e) => e.type === 'connection' && e.state === 'failed' && e.room === SECRET), 'secret failed');
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'connected' && e.room === ROOM));
  });

  test('4004: rate limited → backs off at least the floor, then reconnects', async () => {
    const h = await harness({ session: { rateLimitFloorMs: 300 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.server.refuseSockets(1, 4004, 'Rate limit exceeded');
    const t0 = Date.now();
    h.server.drop(ROOM, 4004, 'Rate limit exceeded');
    await waitFor(() => h.server.sockets.length === 3 && h.server.openSockets(ROOM).length === 1, 'third socket', 10_000);
    assert.ok(Date.now() - t0 >= 550, `two rate-limit waits of ≥ 300 ms (${Date.now() - t0} ms)`);
    assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'rate_limited'));
    const rc = h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.match(rc?.type === 'connection' ? (rc.reason ?? '') : '', /4004/);
  });

  test('1006 drop: reconnect and backfill the gap, nothing lost or doubled', async () => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'before' });
    await waitFor(() => h.messages().length === 1, 'first');
    h.server.drop(ROOM); // terminate: 1006 at the client
    for (let i = 0; i < 5; i++) h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: `while down ${i}` });
    await waitFor(() => h.messages().length === 6, 'backfilled');
    h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'after' });
    await waitFor(() => h.messages().length === 7, 'after');
    assert.deepEqual(h.messages().map((m) => m.text), ['before', 'while down 0', 'while down 1', 'while down 2', 'while down 3', 'while down 4', 'after']);
    const rc = h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.match(rc?.type === 'connection' ? (rc.reason ?? '') : '', /1006/);
    assert.ok(!h.events.some((e) => e.type === 'gap'));
  });

  test('a live-only message stamped in the future does not derail the next backfill', async () => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'before' });
    await waitFor(() => h.messages().length === 1, 'first');
    // Pushed on the socket only (not in history), dated 2099.
    h.server.push(ROOM, { type: 'message', data: { id: 'future-1', room_id: ROOM, sender_id: 'x', sender_name: 'X', content: 'from the future', created_at: '2099-01-01T00:00:00Z' }, room_id: ROOM });
    await waitFor(() => h.messages().length === 2, 'the future-stamped one');
    h.server.drop(ROOM);
    for (let i = 0; i < 3; i++) h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: `while down ${i}` });
    await waitFor(() => h.messages().length === 5, 'backfilled');
    assert.deepEqual(h.messages().slice(2).map((m) => m.text), ['while down 0', 'while down 1', 'while down 2']);
    assert.ok(!h.events.some((e) => e.type === 'gap'), 'no gap: the anchor stayed on a message the history has');
  });

  test('a drop before any message: backfill from the baseline', async () => {
    const s = await server();
    s.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'old' });
    const h = await harness({ server: s });
    await waitFor(() => s.requests.some((r) => r.query.limit === '1'), 'baseline');
    await delay(50);
    s.drop(ROOM, 1011, 'Server error');
    s.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'missed' });
    await waitFor(() => h.messages().length === 1, 'backfill');
    await delay(100);
    assert.deepEqual(h.messages().map((m) => m.text), ['missed']);
  });

  test('20 forced drops (terminate and retryable close codes) during a 2,000-message stream: 0 lost, 0 duplicated', async () => {
    const h = await harness({ session: { connectedGraceMs: 50, rateLimitFloorMs: 50 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    const codes = [undefined, 1000, 1001, 1011, 4004, undefined, 1012, 1013];
    const sent: string[] = [];
    for (let i = 0; i < 2000; i++) {
      sent.push(h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: `n${i}` }).id);
      if (i % 100 === 50) {
        await waitFor(() => h.server.openSockets(ROOM).length === 1, 'an open socket to drop');
        h.server.drop(ROOM, codes[((i - 50) / 100) % codes.length], 'drop');
      }
      if (i % 20 === 0) await delay(2);
    }
    await waitFor(() => new Set(h.messages().map((m) => m.id)).size === 2000, 'all 2000 messages', 30_000);
    await delay(200);
    const ids = h.messages().map((m) => m.id);
    assert.equal(ids.length, 2000, 'no duplicates');
    assert.deepEqual([...ids].sort(), [...sent].sort(), 'no losses');
    assert.deepEqual(ids, sent, 'in order');
    assert.ok(h.server.sockets.length >= 21, `reconnected after each drop (${h.server.sockets.length} sockets)`);
  });

  test('reconnectNow replaces the socket; disconnect emits offline and stops', async () => {
    const h = await harness();
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.session.reconnectNow();
    await waitFor(() => h.server.sockets.length === 2 && h.server.openSockets(ROOM).length === 1, 'new socket');
    await h.session.disconnect();
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'offline'));
    const n = h.events.length;
    await waitFor(() => h.server.openSockets(ROOM).length === 0, 'closed');
    h.server.post(ROOM, { sender_id: 'u', sender_name: 'U', content: 'x' });
    await delay(100);
    assert.equal(h.events.length, n, 'no events after disconnect');
    assert.equal(h.server.sockets.length, 2);
  });

  test('joinRoom opens another socket, partRoom closes it', async () => {
    const h = await harness();
    const info = await h.session.joinRoom('random');
    assert.equal(info.id, OTHER);
    await waitFor(() => h.server.openSockets(OTHER).length === 1, 'other socket');
    assert.ok(h.session.rooms().some((r) => r.id === OTHER));
    await h.session.partRoom(OTHER);
    await waitFor(() => h.server.openSockets(OTHER).length === 0, 'closed');
    assert.ok(!h.session.rooms().some((r) => r.id === OTHER));
    await h.session.partRoom(ROOM);
    assert.deepEqual(h.session.rooms(), []);
    await h.session.joinRoom(ROOM);
    assert.deepEqual(h.session.rooms().map((r) => r.id), [ROOM]);
    await assert.rejects(h.session.joinRoom('secret'), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
    await assert.rejects(h.session.joinRoom('secret'), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
    assert.equal(h.server.sockets.filter((s) => s.room === SECRET).length, 2, 'a refused room is tried again when joined again');
  });
});

describe('chatapi typing', () => {
  const typingFrames = (h: Harness): boolean[] =>
    h.server.sockets.flatMap((s) => s.frames).filter((f) => (f as { type?: string }).type === 'typing').map((f) => (f as { data: { is_typing: boolean } }).data.is_typing);

  test('debounced: one start for a burst of input, stop after idle', async () => {
    const h = await harness({ session: { typingIdleMs: 150 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    for (let i = 0; i < 5; i++) h.session.setTyping(ROOM, true);
    await waitFor(() => typingFrames(h).length >= 1, 'start');
    assert.deepEqual(typingFrames(h), [true]);
    await waitFor(() => typingFrames(h).length === 2, 'stop after idle');
    assert.deepEqual(typingFrames(h), [true, false]);
    assert.deepEqual(h.server.sockets[0]?.frames.find((f) => (f as { type?: string }).type === 'typing'), { type: 'typing', data: { is_typing: true } });
  });

  test('send stops typing first; setTyping(false) stops at once', async () => {
    const h = await harness({ session: { typingIdleMs: 5000 } });
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.session.setTyping(ROOM, true);
    await h.session.send(ROOM, 'hi', 't');
    await waitFor(() => typingFrames(h).length === 2, 'stop');
    assert.deepEqual(typingFrames(h), [true, false]);
    h.session.setTyping(ROOM, true);
    h.session.setTyping(ROOM, false);
    h.session.setTyping(ROOM, false);
    await waitFor(() => typingFrames(h).length === 4, 'start+stop');
    await delay(50);
    assert.deepEqual(typingFrames(h), [true, false, true, false]);
  });

  test('profile sendTyping: false sends nothing', async () => {
    const h = await harness({ profile: { sendTyping: false }, session: { typingIdleMs: 50 } });
    assert.equal(h.session.capabilities.typingSend, false);
    await waitFor(() => h.server.openSockets(ROOM).length, 'socket');
    h.session.setTyping(ROOM, true);
    await delay(150);
    assert.deepEqual(typingFrames(h), []);
  });
});
