import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { definition } from '../../src/connectors/rooms/index.js';
import { createRoomsSession, type RoomsSession, type RoomsSessionOptions } from '../../src/connectors/rooms/index.js';
import { needsRefresh, ssoDeadlineMs, ssoLogin } from '../../src/connectors/rooms/login.js';
import { classifyFrame, fallbackRoomName, readRetrieve, retrieveList, sendFrame } from '../../src/connectors/rooms/wire.js';
import { ChatError } from '../../src/core/errors.js';
import type { ChatEvent, MessageEvent } from '../../src/core/events.js';
import type { Profile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { BOB, CAROL, ME, startRoomsServer, type RoomsServerOptions, type RoomsTestServer } from '../servers/rooms/server.js';
import { assertHeapBounded, fuzzRound, type Rng, settledHeap, toMiB } from './fuzz.js';

const ROOMS = [
  { id: 11, name: 'general', occupants: [ME, BOB, CAROL] },
  { id: 12, name: null, occupants: [ME, BOB] },
  { id: 13, name: 'staff only', occupants: [BOB, CAROL] },
];

const servers: RoomsTestServer[] = [];
const sessions: RoomsSession[] = [];
after(async () => {
  await Promise.all(sessions.map((s) => s.disconnect()));
  await Promise.all(servers.map((s) => s.close()));
});

async function server(opts: RoomsServerOptions = {}): Promise<RoomsTestServer> {
  const s = await startRoomsServer({ rooms: ROOMS, ...opts });
  servers.push(s);
  return s;
}

async function waitFor<T>(fn: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Harness {
  session: RoomsSession;
  events: ChatEvent[];
  saved: Partial<Profile>[];
  messages(): MessageEvent[];
  connect(): Promise<void>;
}

function harness(s: RoomsTestServer, extra: Partial<Profile> = {}, opts: RoomsSessionOptions = {}, tokenOrNull: string | null = s.token): Harness {
  const token = tokenOrNull ?? undefined;
  const events: ChatEvent[] = [];
  const saved: Partial<Profile>[] = [];
  const profile = { name: 'r', service: 'rooms', url: s.url, ...(token === undefined ? {} : { token }), ...extra };
  const session = createRoomsSession(
    { profile, token, emit: (ev) => events.push({ ...ev, profile: 'r' } as ChatEvent), saveProfile: async (p) => void saved.push(p) },
    { backoff: () => new Backoff({ baseMs: 20, capMs: 80 }), ...opts },
  );
  sessions.push(session);
  const abort = new AbortController();
  return {
    session,
    events,
    saved,
    messages: () => events.filter((e): e is MessageEvent => e.type === 'message'),
    connect: () => session.connect(abort.signal),
  };
}

describe('rooms wire', () => {
  test('CONNECTED with or without type, messages whatever type says, errors', () => {
    assert.equal(classifyFrame({ type: 'status', status: 'CONNECTED' }).kind, 'connected');
    assert.equal(classifyFrame({ status: 'CONNECTED' }).kind, 'connected');
    assert.equal(classifyFrame({ type: 'message', status: 'CONNECTED' }).kind, 'connected');
    assert.equal(classifyFrame({ status: 'connected' }).kind, 'other');
    assert.equal(classifyFrame({ type: 'status', message: { id: 1 } }).kind, 'message');
    assert.equal(classifyFrame({ message: { id: 1 } }).kind, 'message');
    assert.equal(classifyFrame({ type: 'message', message: 'hi' }).kind, 'other');
    assert.deepEqual(classifyFrame({ error: 'Your login session has expired', error_code: 'AUTH_TOKEN_EXPIRED' }), {
      kind: 'error',
      code: 'AUTH_TOKEN_EXPIRED',
      text: 'Your login session has expired',
    });
    for (const junk of [null, 1, 'x', [], [{ status: 'CONNECTED' }]]) assert.equal(classifyFrame(junk).kind, 'other');
  });

  test('send frame carries both text keys and the room as a string', () => {
    assert.deepEqual(JSON.parse(sendFrame('5', 'hi "x"')), { room: '5', message: 'hi "x"', messages: 'hi "x"' });
  });

  test('retrieve: both shapes, sorted by id, deduped, junk counted', () => {
    const items = [
      { id: 3, poster: 'a', room: '1', message: 'c', timestamp: 3 },
      { id: 1, poster: 'a', room: '2', message: 'a', timestamp: 1 },
      { id: 3, poster: 'a', room: '1', message: 'c', timestamp: 3 },
      { id: 'x', room: '1' },
      'junk',
      { id: '2', poster: 'a', room: 1, message: 'b', timestamp: 2 },
    ];
    for (const body of [{ messages: items }, { room_name: null, occupants: items }, items]) {
      const list = retrieveList(body);
      assert.ok(list);
      const { messages, malformed } = readRetrieve(list);
      assert.deepEqual(messages.map((m) => [m.n, m.room]), [[1, '2'], [2, '1'], [3, '1']]);
      assert.equal(malformed, 2);
    }
    assert.equal(retrieveList({ room_name: 'x' }), undefined);
  });

  test('room name fallback from occupants', () => {
    assert.equal(fallbackRoomName('12', [{ id: 'b', name: 'bob' }]), 'bob');
    assert.equal(fallbackRoomName('12', [{ id: 'b', name: 'bob' }, { id: 'c', name: 'carol' }]), 'bob, carol');
    assert.equal(fallbackRoomName('12', ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, name: id }))), 'a, b, c +2');
    assert.equal(fallbackRoomName('12', []), 'room 12');
  });

  test('sso timeout: unix seconds (real) or ms (doc)', () => {
    assert.equal(ssoDeadlineMs(1_700_000_000), 1_700_000_000_000);
    assert.equal(ssoDeadlineMs(1_700_000_000_000), 1_700_000_000_000);
    assert.equal(ssoDeadlineMs(undefined), undefined);
  });

  test('definition: url required, room optional', () => {
    assert.throws(() => definition.validate({ service: 'rooms', token: 't' }), /--url/);
    definition.validate({ service: 'rooms', url: 'http://127.0.0.1:1', token: 't' });
    assert.equal(definition.capabilities.history, true);
    assert.equal(definition.capabilities.typingSend || definition.capabilities.typingReceive || definition.capabilities.presence || definition.capabilities.edits, false);
    assert.equal(definition.capabilities.dms, true);
  });
});

describe('rooms connection', () => {
  test('auth frame first, no token in the URL, connected only after CONNECTED, me from /user/info', async () => {
    const s = await server();
    let release!: () => void;
    s.hooks.beforeConnected = () => new Promise<void>((r) => (release = r));
    const h = harness(s);
    let resolved = false;
    const done = h.connect().then(() => (resolved = true));
    await waitFor(() => s.sockets[0]?.frames.length, 5000, 'the auth frame');
    assert.deepEqual(JSON.parse(s.sockets[0]?.frames[0] ?? ''), { auth_token: s.token });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(resolved, false, 'connect must wait for CONNECTED');
    assert.ok(!h.events.some((e) => e.type === 'connection' && e.state === 'connected'));
    release();
    await done;
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'connected'));
    assert.deepEqual(h.session.me(), { id: ME, name: 'Ada' });
    const info = s.requests.find((r) => r.path === '/user/info');
    assert.equal(info?.headers.authorization, `Bearer ${s.token}`);
    assert.ok(!s.requests.some((r) => r.path.includes(s.token)));
  });

  test("doc shapes: CONNECTED without type, message frames without type", async () => {
    const s = await server({ mode: 'doc' });
    const h = harness(s);
    await h.connect();
    const m = s.post(12, BOB, 'no type here', 1601300000);
    const got = await waitFor(() => h.messages()[0], 5000, 'the message');
    assert.equal(got.id, String(m.id));
  });

  for (const code of ['AUTH_TOKEN_INVALID', 'AUTH_TOKEN_EXPIRED'] as const) {
    test(`socket refusal ${code}: one auth error naming it, no retry`, async () => {
      const s = await server();
      s.hooks.refuseSocketAuth = code;
      const h = harness(s);
      const err = await h.connect().then(
        () => assert.fail('connect should reject'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ChatError);
      assert.equal(err.code, 'auth');
      assert.equal(err.retryable, false);
      assert.match(err.message, new RegExp(code));
      assert.match(err.message, code === 'AUTH_TOKEN_EXPIRED' ? /expired/ : /invalid/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(s.sockets.length, 1, 'no retry after an auth refusal');
      const errors = h.events.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed'));
      assert.ok(!JSON.stringify(h.events).includes(s.token));
    });
  }

  test('REST refusal of a bad token: auth error before any socket, token not echoed', async () => {
    const s = await server();
    const bad = `${s.token.slice(0, -6)}AAAAAA`;
    const h = harness(s, {}, {}, bad);
    const err = await h.connect().then(
      () => assert.fail('connect should reject'),
      (e: unknown) => e as ChatError,
    );
    assert.equal(err.code, 'auth');
    assert.match(err.message, /AUTH_TOKEN_INVALID/);
    assert.ok(!err.message.includes(bad));
    assert.equal(s.sockets.length, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.requests.length, 1, 'not retried');
  });

  test('no token: auth error at once', async () => {
    const s = await server();
    const h = harness(s, {}, {}, null);
    await assert.rejects(h.connect(), (e: unknown) => e instanceof ChatError && e.code === 'auth' && /login/.test(e.message));
    assert.equal(s.requests.length, 0);
  });
});

describe('rooms messages', () => {
  test('mapping: id → string, room, unix seconds → ISO UTC, poster id and name (ours, alias, id)', async () => {
    const s = await server();
    const h = harness(s, { aliases: { [CAROL]: 'Caz' } });
    await h.connect();
    s.post(11, BOB, 'hello', 1601300000);
    s.post(11, CAROL, 'hi 👋', 1601300060);
    s.post(12, ME, 'mine', 1601300120);
    const msgs = await waitFor(() => (h.messages().length === 3 ? h.messages() : undefined), 5000, '3 messages');
    assert.deepEqual(
      msgs.map((m) => [m.id, m.room, m.author.id, m.author.name, m.text, m.time]),
      [
        ['1', '11', BOB, BOB, 'hello', '2020-09-28T13:33:20.000Z'],
        ['2', '11', CAROL, 'Caz', 'hi 👋', '2020-09-28T13:34:20.000Z'],
        ['3', '12', ME, 'Ada', 'mine', '2020-09-28T13:35:20.000Z'],
      ],
    );
  });

  test('a frame with a message object is a message whatever its type; hostile text is sanitised', async () => {
    const s = await server();
    const h = harness(s);
    await h.connect();
    s.raw({ type: 'status', message: { id: 500, poster: 'x\u001b[2J', room: 11, message: 'a\u001b]0;pwned\u0007b\u202e', timestamp: '1601300000' } });
    const m = await waitFor(() => h.messages()[0], 5000, 'the message');
    assert.equal(m.id, '500');
    assert.equal(m.room, '11');
    assert.equal(m.text, 'ab');
    assert.equal(m.author.name, 'x');
    assert.equal(m.time, '2020-09-28T13:33:20.000Z');
  });

  test('fuzz: 2 × 10,000 random and mutated frames; the heap stays bounded; a valid message arrives after each round', async (t) => {
    const s = await server();
    // The per-room archive (for `history`) and the rooms known are bounded (archiveLimit, maxRooms): small
    // bounds are reached in round 1, so round 2 shows only what grows per frame.
    const h = harness(s, {}, { archiveLimit: 500, maxRooms: 50 });
    await h.connect();
    let round = 0;
    // Valid frames (facts A4): chat messages with fresh ids (real and doc shape), CONNECTED again, a non-auth error, others.
    const valid = (r: Rng, i: number): unknown => {
      // Half of them to a room never seen before (a server sending to ever new rooms).
      const room = r.int(2) ? r.pick(['11', '12']) : String(100_000 + round * 100_000 + i);
      const message = { id: round * 1_000_000 + i, poster: r.pick([BOB, CAROL]), room, message: `m ${i}`, timestamp: 1_600_000_000 + i };
      const roll = r.int(10);
      if (roll < 6) return { type: 'message', message };
      if (roll === 6) return { message };
      if (roll === 7) return { type: 'status', status: 'CONNECTED' };
      if (roll === 8) return { error: 'Slow down', error_code: 'RATE_LIMITED' };
      return { type: 'typing', room: '11', user: BOB };
    };
    const heap = [await settledHeap()];
    for (round = 1; round <= 2; round++) {
      const counts = await fuzzRound({ seed: 3000 + round, count: 10_000, valid }, (f) => s.raw(f.data, f.binary));
      const good = s.post(11, BOB, `after round ${round}`);
      const got = await waitFor(() => h.messages().find((m) => m.text === `after round ${round}`), 15_000, `the valid message after round ${round}`);
      assert.equal(got.id, String(good.id));
      assert.ok(h.messages().length > 500, `the fuzz's valid frames were parsed (${h.messages().length} messages)`);
      for (const m of h.messages()) assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(m.text + m.author.name + m.author.id));
      const notices = h.events.filter((e) => e.type === 'notice');
      assert.ok(notices.length < 100 && (round > 1 || notices.length > 0), `bad frames get notices, rate-limited (${notices.length})`);
      if (round === 1) {
        assert.ok(notices.some((e) => /over 1 MiB/.test(e.text)), 'a notice for an oversized frame');
        assert.ok(notices.some((e) => /binary/.test(e.text)), 'a notice for a binary frame');
        assert.ok(notices.some((e) => /its room is new and 50 rooms are known/.test(e.text)), 'a notice for messages to rooms beyond maxRooms');
      }
      assert.equal(s.sockets.length, 1, 'no reconnect was needed');
      assert.ok(h.session.rooms().length <= 50, `rooms known stay bounded (${h.session.rooms().length})`);
      h.events.length = 0; // the test's copy of the events is not the connector's memory
      heap.push(await settledHeap());
      t.diagnostic(`round ${round}: ${JSON.stringify(counts)}; heap ${toMiB(heap[round - 1]!)} → ${toMiB(heap[round]!)} MiB`);
    }
    assertHeapBounded(heap);
  });
});

describe('rooms send', () => {
  test('resolves on our echo with the real id and txnId; one message event; both keys sent', async () => {
    const s = await server();
    const h = harness(s);
    await h.connect();
    const text = 'Hi "there" \\ ok ✓';
    const msg = await h.session.send('11', text, 'txn-1');
    assert.equal(msg.id, String(s.messages[0]?.id));
    assert.equal(msg.txnId, 'txn-1');
    assert.equal(msg.text, text);
    assert.equal(msg.author.id, ME);
    assert.deepEqual(s.chatFrames(), [{ room: '11', message: text, messages: text }]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(h.messages().map((m) => [m.id, m.txnId]), [[msg.id, 'txn-1']]);
  });

  test('two identical sends are matched first-in first-out', async () => {
    const s = await server();
    const h = harness(s);
    await h.connect();
    const [a, b] = await Promise.all([h.session.send('11', 'same', 'A'), h.session.send('11', 'same', 'B')]);
    assert.equal(a.txnId, 'A');
    assert.equal(b.txnId, 'B');
    assert.ok(Number(a.id) < Number(b.id));
  });

  test("someone else's identical text does not confirm our send", async () => {
    const s = await server();
    const h = harness(s, {}, { echoTimeoutMs: 400 });
    await h.connect();
    // Our send to room 13 (not ours) is dropped; a message with the same room and text from Bob arrives.
    const sending = h.session.send('13', 'hello', 'X');
    await waitFor(() => s.dropped.length, 2000, 'the dropped frame');
    s.raw({ type: 'message', message: { id: 77, poster: BOB, room: '13', message: 'hello', timestamp: 1601300000 } });
    await assert.rejects(sending, (e: unknown) => e instanceof ChatError && e.code === 'protocol');
    assert.equal(h.messages()[0]?.txnId, undefined);
  });

  test('doc-mode server (reads "messages") confirms too', async () => {
    const s = await server({ mode: 'doc' });
    const h = harness(s);
    await h.connect();
    const msg = await h.session.send('12', 'doc key', 't');
    assert.equal(msg.text, 'doc key');
    assert.equal(s.messages.length, 1);
  });

  test('no echo within the bounded time (not a member): ChatError with a clear reason, not retryable', async () => {
    const s = await server();
    const h = harness(s, {}, { echoTimeoutMs: 300 });
    await h.connect();
    const err = await h.session.send('13', 'let me in', 't').then(
      () => assert.fail('should fail'),
      (e: unknown) => e as ChatError,
    );
    assert.equal(err.code, 'protocol');
    assert.equal(err.retryable, false);
    assert.match(err.message, /no echo from the server within .* not a member of room 13/);
    assert.equal(s.dropped[0]?.why, 'not an occupant');
  });

  test('not connected: network error, nothing sent; non-numeric room: not_found', async () => {
    const s = await server();
    const h = harness(s);
    await assert.rejects(h.session.send('11', 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'network');
    await h.connect();
    await assert.rejects(h.session.send('general', 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    assert.equal(s.chatFrames().length, 0);
  });

  test('the socket handshake asks for no permessage-deflate', async () => {
    const s = await server();
    const h = harness(s);
    await h.connect();
    assert.ok(!/permessage-deflate/.test(s.sockets[0]?.extensions ?? ''), `Sec-WebSocket-Extensions: ${s.sockets[0]?.extensions}`);
  });

  test('close 1008 (policy): waits the backoff cap, says the server reason, fails as protocol after 3 in a row', async () => {
    const s = await server();
    s.hooks.closeOnAuth = { code: 1008, reason: 'policy: go away' };
    const h = harness(s, {}, { backoff: () => new Backoff({ baseMs: 1, capMs: 60, random: () => 0 }) });
    await assert.rejects(h.connect(), (e: unknown) => e instanceof ChatError && e.code === 'protocol' && /1008/.test(e.message));
    assert.equal(s.sockets.length, 3, 'stopped after 3 policy closes instead of hammering');
    const waits = h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.equal(waits.length, 2);
    for (const w of waits) assert.match(w.type === 'connection' ? (w.reason ?? '') : '', /1008 policy violation: policy: go away/);
    const at = s.sockets.map((x) => x.openedAt);
    assert.ok(at[1]! - at[0]! >= 50 && at[2]! - at[1]! >= 50, `waited the cap (${at.join(', ')})`);
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed'));
  });

  test('the first failure is said once; reconnect now cuts the wait short', async () => {
    const probe = await server();
    const url = probe.url;
    await probe.close();
    const h = harness(probe, { url }, { backoff: () => new Backoff({ baseMs: 60_000, capMs: 60_000, random: () => 0.99 }) });
    void h.connect().catch(() => {});
    await waitFor(() => h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting'), 5000, 'a long wait');
    const t0 = Date.now();
    h.session.reconnectNow();
    await waitFor(() => h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length >= 2, 5000, 'a second attempt at once');
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(h.events.filter((e) => e.type === 'error').length, 1, 'one error for the outage, not one per retry');
    await h.session.disconnect();
  });

  test('an echo lost in a drop is confirmed by the catch-up', async () => {
    const s = await server();
    const h = harness(s, {}, { echoTimeoutMs: 5000 });
    await h.connect();
    // Drop every socket the moment our frame arrives, before the echo can go out.
    s.sockets[0]?.ws.prependListener('message', (d) => {
      if (String(d).includes('"room"')) s.drop('terminate');
    });
    const msg = await h.session.send('11', 'through the drop', 't9');
    assert.equal(msg.txnId, 't9');
    assert.equal(msg.id, String(s.messages[0]?.id));
    assert.equal(h.messages().length, 1);
  });
});

describe('rooms catch-up', () => {
  test('messages posted while offline and before CONNECTED are caught up; baseline is not emitted', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'old', timestamp: 1601300000 }] });
    const h = harness(s);
    await h.connect();
    assert.equal(h.messages().length, 0, 'the backlog of the first connect is history, not new messages');
    s.drop('terminate');
    await waitFor(() => s.connected().length === 0, 2000, 'the drop');
    const offline = s.post(11, BOB, 'while offline');
    let posted: number | undefined;
    s.hooks.beforeConnected = () => {
      posted = s.post(12, BOB, 'before CONNECTED').id;
    };
    const live = await waitFor(() => (s.connected().length ? true : undefined), 5000, 'the reconnect').then(() => s.post(11, CAROL, 'after'));
    await waitFor(() => h.messages().length >= 3, 5000, '3 messages');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(h.messages().map((m) => m.id), [offline.id, posted, live.id].map(String));
    const retrieves = s.requests.filter((r) => r.path === '/chat/retrieve').map((r) => r.body);
    // The baseline before the first socket, a catch-up after each CONNECTED (the first one found nothing new).
    assert.deepEqual(retrieves, [{ after: 0 }, { after: 1 }, { after: 1 }]);
  });

  test('first connection: a message posted after the start but before CONNECTED is shown (the server drops what it publishes before its subscription)', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'old', timestamp: 1601300000 }] });
    let posted: number | undefined;
    s.hooks.beforeConnected = () => {
      posted = s.post(11, BOB, 'between the start and CONNECTED').id;
    };
    const h = harness(s);
    await h.connect();
    const live = s.post(12, CAROL, 'after CONNECTED');
    await waitFor(() => h.messages().length >= 2, 5000, '2 messages');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.connected()[0]?.frames.length, 1, 'the message was published before the subscription: the socket never had it');
    assert.deepEqual(h.messages().map((m) => m.id), [posted, live.id].map(String), 'caught up after the first CONNECTED too; the old message stays history');
    assert.deepEqual(s.requests.filter((r) => r.path === '/chat/retrieve').map((r) => r.body), [{ after: 0 }, { after: 1 }]);
  });

  test('20 forced drops during a 2,000-message stream: 0 lost, 0 duplicated, in order', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'baseline' }] });
    const h = harness(s);
    await h.connect();
    const sent: number[] = [];
    const kinds: ('terminate' | number)[] = ['terminate', 1001, 1011, 1012, 1013, 4000];
    let drops = 0;
    for (let i = 0; i < 2000; i++) {
      const room = [11, 12][i % 2] as number;
      sent.push(s.post(room, i % 3 ? BOB : CAROL, `m${i}`).id);
      if (i % 100 === 50) {
        // Each drop hits a live socket (the client has reconnected since the last one).
        await waitFor(() => s.connected().length > 0, 5000, 'the client to be connected');
        s.drop(kinds[drops % kinds.length]);
        drops++;
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(drops, 20);
    await waitFor(() => h.messages().length >= 2000, 30_000, 'all 2,000 messages');
    await new Promise((r) => setTimeout(r, 200));
    const ids = h.messages().map((m) => Number(m.id));
    assert.equal(ids.length, 2000, 'no duplicates');
    assert.deepEqual(ids, sent, 'every message once, in id order');
    assert.equal(h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length, 20);
    assert.equal(s.sockets.length, 21);
  });

  test('a flood during the catch-up fills the bounded buffer: the socket is replaced and nothing is lost', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'baseline' }] });
    const h = harness(s, {}, { maxCatchUpBuffer: 50 });
    await h.connect();
    s.hooks.retrieveDelayMs = 400; // the next catch-up is slow…
    s.drop('terminate');
    await waitFor(() => s.connected().length === 0, 2000, 'the drop');
    await waitFor(() => s.connected().length > 0, 5000, 'the reconnect');
    const sent: number[] = [];
    for (let i = 0; i < 120; i++) sent.push(s.post(11, BOB, `flood ${i}`).id); // …and 120 live messages arrive meanwhile
    s.hooks.retrieveDelayMs = 0;
    await waitFor(() => h.messages().length >= 120, 10_000, 'all 120 messages');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(h.messages().map((m) => Number(m.id)), sent, 'every message once, in order');
    const notices = h.events.filter((e) => e.type === 'notice' && /over 50 live messages arrived during the catch-up/.test(e.text));
    assert.equal(notices.length, 1);
    assert.ok(s.sockets.length >= 3, `the overflowing socket was replaced (${s.sockets.length} sockets)`);
  });

  test('a failing catch-up reconnects and tries again from the same mark', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'baseline' }] });
    const h = harness(s);
    await h.connect();
    s.post(11, BOB, 'live');
    await waitFor(() => h.messages()[0], 5000, 'the live message');
    s.hooks.failRetrieve = 1;
    s.drop('terminate');
    const m = s.post(11, BOB, 'missed live');
    await waitFor(() => h.messages()[1], 5000, 'the caught-up message');
    assert.deepEqual(h.messages().map((x) => x.id), ['2', String(m.id)]);
    const afters = s.requests.filter((r) => r.path === '/chat/retrieve').map((r) => (r.body as { after: number }).after);
    assert.deepEqual(afters, [0, 1, 2, 2], 'the mark did not move past a failed catch-up');
    assert.ok(h.events.some((e) => e.type === 'notice' && /catching up failed/.test(e.text)));
  });

  test('liveness: a peer that stops answering pings is replaced', async () => {
    const s = await server({ autoPong: false });
    const h = harness(s, {}, { pingIntervalMs: 50, idleTimeoutMs: 300 });
    await h.connect();
    const ev = await waitFor(() => h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting'), 5000, 'a reconnect');
    assert.match((ev as { reason?: string }).reason ?? '', /no frames or pongs/);
    await waitFor(() => s.sockets.length >= 2, 5000, 'a new socket');
  });
});

describe('rooms rooms and history', () => {
  test('rooms from retrieve, named by room_info (null → occupants), members, not-ours not listed', async () => {
    const s = await server({
      messages: [
        { room: 11, poster: BOB, message: 'a' },
        { room: 12, poster: BOB, message: 'b' },
        { room: 13, poster: BOB, message: 'c' },
      ],
    });
    const h = harness(s, { aliases: { [BOB]: 'Bob' } });
    await h.connect();
    const rooms = h.session.rooms();
    assert.deepEqual(rooms.map((r) => [r.id, r.name]), [['11', 'general'], ['12', 'Bob']]);
    assert.deepEqual(rooms[0]?.members?.map((u) => u.name), ['Ada', 'Bob', CAROL]);
    const asked = s.requests.filter((r) => r.path === '/chat/room_info').map((r) => r.body);
    assert.deepEqual(asked.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ room_id: '11' }, { room_id: '12' }]);
    assert.ok(h.events.some((e) => e.type === 'room' && e.room === '12' && e.name === 'Bob'));
    const listed = await h.session.listRooms();
    assert.deepEqual(listed.map((r) => r.id), ['11', '12']);
  });

  test('profile rooms (by id or name) are the rooms followed; discovery and sends stay account-wide', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'a' }, { room: 12, poster: BOB, message: 'b' }] });
    for (const follow of ['12', 'ucabbob']) {
      const h = harness(s, { rooms: [follow] });
      await h.connect();
      assert.deepEqual(h.session.rooms().map((r) => r.id), ['12'], `--room ${follow}`);
      assert.deepEqual((await h.session.listRooms()).map((r) => r.id), ['11', '12'], 'listRooms: every room of the account');
      assert.ok(!h.events.some((e) => e.type === 'room' && e.room === '11'));
      const before = s.messages.length;
      s.post(11, BOB, `not followed ${follow}`);
      const m = s.post(12, BOB, `followed ${follow}`);
      await waitFor(() => h.messages().find((x) => x.id === String(m.id)), 5000, 'the followed message');
      assert.deepEqual(h.messages().map((x) => x.room), ['12']);
      assert.equal(s.messages.length, before + 2);
      assert.equal((await h.session.resolveRoom('general')).id, '11');
      await h.session.disconnect();
    }
  });

  test('a room first seen live is named and announced', async () => {
    const s = await server();
    const h = harness(s);
    await h.connect();
    s.post(12, BOB, 'hi');
    await waitFor(() => h.events.find((e) => e.type === 'room' && e.room === '12' && e.name === BOB), 5000, 'the room event');
    assert.deepEqual(h.session.rooms().map((r) => r.name), [BOB]);
  });

  test('a profile room we do not occupy: notice, fallback name, history not_found', async () => {
    const s = await server();
    const h = harness(s, { rooms: ['13'] });
    await h.connect();
    assert.ok(h.events.some((e) => e.type === 'notice' && /room 13 was not found/.test(e.text)));
    assert.equal(h.session.rooms()[0]?.name, 'room 13');
    await assert.rejects(h.session.history('13', { limit: 5 }), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    await assert.rejects(h.session.send('13', 'x', 't'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    assert.equal(s.chatFrames().length, 0, 'a send to a room room_info refused is not even tried');
  });

  for (const mode of ['real', 'doc'] as const) {
    test(`history (${mode} retrieve shape): one room, sorted by id, last N, before`, async () => {
      const backlog = Array.from({ length: 30 }, (_, i) => ({ room: [11, 12, 13][i % 3] as number, poster: BOB, message: `m${i + 1}`, timestamp: 1601300000 + i }));
      const s = await server({ mode, messages: backlog });
      const h = harness(s);
      await h.connect();
      const all11 = s.messages.filter((m) => m.room === '11').map((m) => String(m.id));
      const last3 = await h.session.history('11', { limit: 3 });
      assert.deepEqual(last3.map((m) => m.id), all11.slice(-3));
      assert.ok(last3.every((m) => m.room === '11' && m.profile === 'r'));
      const older = await h.session.history('11', { limit: 2, before: last3[0]?.id ?? '' });
      assert.deepEqual(older.map((m) => m.id), all11.slice(-5, -3));
      assert.deepEqual(await h.session.history('13', { limit: 5 }).catch((e: ChatError) => e.code), 'not_found');
      // live messages join the room's history
      s.post(11, CAROL, 'new');
      await waitFor(() => h.messages()[0], 5000, 'the live message');
      const now = await h.session.history('11', { limit: 1 });
      assert.equal(now[0]?.text, 'new');
    });
  }

  test('resolveRoom by id and by name', async () => {
    const s = await server({ messages: [{ room: 11, poster: BOB, message: 'a' }] });
    const h = harness(s);
    await h.connect();
    assert.equal((await h.session.resolveRoom('general')).id, '11');
    assert.equal((await h.session.resolveRoom('12')).name, BOB);
    await assert.rejects(h.session.resolveRoom('13'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    await assert.rejects(h.session.resolveRoom('nope'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });
});

describe('rooms DMs', () => {
  for (const mode of ['real', 'doc'] as const) {
    test(`create_dm (${mode}): notice on success, 404 → not_found`, async () => {
      const s = await server({ mode });
      const h = harness(s, { aliases: { [CAROL]: 'Caz' } });
      await h.connect();
      const before = s.rooms.size;
      const text = await h.session.createDm('Caz');
      assert.equal(s.rooms.size, before + 1);
      assert.deepEqual(s.requests.find((r) => r.path === '/chat/create_dm')?.body, { other: CAROL });
      assert.match(text, /appears here with its first message/);
      const err = await h.session.createDm('nobody').then(
        () => assert.fail('should fail'),
        (e: unknown) => e as ChatError,
      );
      assert.equal(err.code, 'not_found');
      assert.match(err.message, /nobody/);
      await assert.rejects(h.session.createDm(ME), (e: unknown) => e instanceof ChatError && /yours/.test(e.message));
    });
  }
});

describe('rooms login and refresh', () => {
  const say = (lines: string[]) => (l: string) => void lines.push(l);

  test('SSO: prints the redirect URL, polls until AUTHENTICATED, stores token, issue and expiry times, our id', async () => {
    const s = await server();
    s.sso.script = ['WAITING', 'PROCESSING', 'WAITING', 'AUTHENTICATED'];
    const lines: string[] = [];
    const patch = await ssoLogin({ name: 'r', service: 'rooms', url: s.url }, { say: say(lines), signal: new AbortController().signal }, { pollMs: 10 });
    assert.ok(lines.some((l) => l.includes('https://sso.example.org/authorize?client_id=abc&state=')));
    assert.equal(s.sso.checks, 4);
    assert.ok(patch.token && patch.token.split('.').length === 3);
    assert.ok(patch.tokenIssuedAt && patch.tokenExpiresAt && Date.parse(patch.tokenExpiresAt) > Date.now() + 6 * 24 * 3600_000);
    assert.equal(patch.userId, ME);
    assert.ok(!lines.join('\n').includes(patch.token));
    // The token works.
    const h = harness(s, {}, {}, patch.token);
    await h.connect();
  });

  test('SSO: ERROR is an auth error with the server text', async () => {
    const s = await server();
    s.sso.script = ['WAITING', 'ERROR'];
    await assert.rejects(
      ssoLogin({ name: 'r', service: 'rooms', url: s.url }, { say: () => {}, signal: new AbortController().signal }, { pollMs: 10 }),
      (e: unknown) => e instanceof ChatError && e.code === 'auth' && /UCL said no/.test(e.message),
    );
  });

  test('SSO: timeout (unix seconds) ends the polling', async () => {
    const s = await server();
    s.sso.script = ['WAITING'];
    s.sso.timeoutS = 1;
    const started = Date.now();
    await assert.rejects(
      ssoLogin({ name: 'r', service: 'rooms', url: s.url }, { say: () => {}, signal: new AbortController().signal }, { pollMs: 50 }),
      (e: unknown) => e instanceof ChatError && e.code === 'auth' && /timed out/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000);
    assert.ok(s.sso.checks >= 2);
  });

  test('needsRefresh: a day old by tokenIssuedAt or by the expires claim; not when expired or fresh', () => {
    const now = Date.now();
    const jwt = (expiresS: number): string => `e30.${Buffer.from(JSON.stringify({ expires: expiresS, id: 'u' })).toString('base64url')}.sig`;
    const week = 7 * 24 * 3600;
    assert.equal(needsRefresh(jwt(now / 1000 + week), new Date(now).toISOString(), now), false);
    assert.equal(needsRefresh(jwt(now / 1000 + week), new Date(now - 25 * 3600_000).toISOString(), now), true);
    assert.equal(needsRefresh(jwt(now / 1000 + week - 2 * 86400), undefined, now), true);
    assert.equal(needsRefresh(jwt(now / 1000 + week - 3600), undefined, now), false);
    assert.equal(needsRefresh(jwt(now / 1000 - 10), new Date(now - 3 * 86400_000).toISOString(), now), false);
    assert.equal(needsRefresh('opaque', undefined, now), false);
  });

  test('a token older than a day is refreshed with /auth/refresh and saved; the new one is used', async () => {
    const s = await server();
    const old = s.mintToken(ME, 7 * 24 * 3600, 2 * 24 * 3600);
    const h = harness(s, { tokenIssuedAt: new Date(Date.now() - 2 * 86400_000).toISOString() }, {}, old);
    await h.connect();
    const refresh = s.requests.find((r) => r.path === '/auth/refresh');
    assert.equal(refresh?.headers.authorization, `Bearer ${old}`);
    assert.equal(h.saved.length, 1);
    const fresh = h.saved[0]?.token;
    assert.ok(fresh && fresh !== old);
    assert.ok(h.saved[0]?.tokenIssuedAt && Date.now() - Date.parse(h.saved[0].tokenIssuedAt) < 60_000);
    assert.equal(JSON.parse(s.sockets[0]?.frames[0] ?? '{}').auth_token, fresh);
    assert.equal(s.requests.at(-1)?.headers.authorization, `Bearer ${fresh}`);
  });

  test('a running session refreshes its token once it turns a day old', async () => {
    const s = await server();
    let now = Date.now();
    const h = harness(s, { tokenIssuedAt: new Date(now).toISOString() }, { now: () => now, refreshCheckMs: 30 });
    await h.connect();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.saved.length, 0);
    now += 25 * 3600_000;
    await waitFor(() => h.saved.length, 3000, 'the refresh');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.saved.length, 1, 'refreshed once, then the new issue time counts');
    s.drop('terminate');
    await waitFor(() => s.connected().length && s.sockets.length === 2 ? true : undefined, 5000, 'the reconnect');
    assert.equal(JSON.parse(s.sockets[1]?.frames[0] ?? '{}').auth_token, h.saved[0]?.token, 'the reconnect uses the new token');
  });

  test('a fresh token is not refreshed', async () => {
    const s = await server();
    const h = harness(s, { tokenIssuedAt: new Date().toISOString() });
    await h.connect();
    assert.ok(!s.requests.some((r) => r.path === '/auth/refresh'));
    assert.equal(h.saved.length, 0);
  });
});
