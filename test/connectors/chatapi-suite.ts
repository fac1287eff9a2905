/**
 * The chatapi connector's behaviour, once for every transport (`docs`, `socketio`, `v2`): each
 * transport's test file gives a driver of its own test server (test/servers/chatapi*) and this suite
 * runs the same properties against it — live messages, sends (the server's copy, one live copy),
 * history paging, typing both ways, presence, drops mid-stream (each message once, in order),
 * hostile frames and fuzz (no crash, bounded heap, a valid message still arrives), and auth refusals.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession, type ChatApiOptions } from '../../src/connectors/chatapi/index.js';
import type { ConnectorSession } from '../../src/core/connector.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent, MessageEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { assertHeapBounded, fuzzRound, settledHeap, toMiB, type FuzzFrame, type Rng } from './fuzz.js';

/** What the suite needs of a transport's test server. Users: `me` (the profile), `bob` (someone else). */
export interface ChatApiDriver {
  url: string;
  /** The room the profile opens, and a second room. */
  room: string;
  other: string;
  /** Profile fields of the transport (protocol, user id…) for user `me`. */
  profile: Partial<NamedProfile>;
  /** The credential of user `me`; `bad` a refused one. */
  token: string;
  bad: string;
  /** A message by `sender` in `room`, stored and pushed; returns its id. */
  post(room: string, sender: string, text: string): string;
  /** `sender`'s message stored but not pushed (history only). */
  store(room: string, sender: string, text: string): string;
  typing(room: string, user: string, on: boolean): void;
  online(user: string): void;
  offline(user: string): void;
  /** The typing frames the client sent: true for start, false for stop. */
  typingSent(): boolean[];
  /** A raw frame / event to every client socket (hostile input). */
  push(frame: unknown, binary?: boolean): void;
  /** Hostile payloads of this protocol (malformed of every kind). */
  hostile: unknown[];
  /** A valid message frame of this protocol for the fuzz (fresh ids from `i`). */
  validFrame(r: Rng, i: number, round: number): unknown;
  /** Fuzz frames as this protocol can carry them (Socket.IO has no non-JSON frames). */
  fuzzSend?(f: FuzzFrame): void;
  /** Drops the client's connection(s): terminate, or close with `code`. */
  drop(code?: number): void;
  /** Connections the server accepted so far / open now. */
  accepted(): number;
  openNow(): number;
  /** Display name the server gives `bob` (v2 has no names: the id). */
  bobName: string;
  close(): Promise<void>;
}

export interface Harness {
  d: ChatApiDriver;
  session: ConnectorSession;
  events: ConnectorEvent[];
  messages(room?: string): Omit<MessageEvent, 'profile'>[];
}

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

/** Runs the shared suite for one transport; `start` starts a fresh test server and its driver. */
export function chatapiSuite(name: string, start: () => Promise<ChatApiDriver>): void {
  const sessions: ConnectorSession[] = [];
  const drivers: ChatApiDriver[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.disconnect();
    for (const d of drivers.splice(0)) await d.close();
  });

  async function harness(o: { token?: string; profile?: Partial<NamedProfile>; session?: ChatApiOptions; connect?: boolean; d?: ChatApiDriver } = {}): Promise<Harness> {
    const d = o.d ?? (await start());
    if (!o.d) drivers.push(d);
    const events: ConnectorEvent[] = [];
    const profile: NamedProfile = { name: 'c', service: 'chatapi', url: d.url, rooms: [d.room], ...d.profile, ...o.profile };
    const session = createChatApiSession(
      { profile, token: o.token ?? d.token, emit: (ev) => events.push(ev), saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), connectedGraceMs: 50, ...o.session },
    );
    sessions.push(session);
    const h: Harness = { d, session, events, messages: (room) => events.filter((e): e is Omit<MessageEvent, 'profile'> => e.type === 'message' && (room === undefined || e.room === room)) };
    if (o.connect !== false) await session.connect(new AbortController().signal);
    return h;
  }

  describe(`chatapi ${name}: live, send, history`, () => {
    test('a message pushed by the server is one message event (id, author, text, ISO time)', async () => {
      const h = await harness();
      const id = h.d.post(h.d.room, 'bob', 'Hello everyone! 👋');
      const m = await waitFor(() => h.messages()[0], 'message');
      assert.equal(m.id, id);
      assert.equal(m.room, h.d.room);
      assert.deepEqual(m.author, { id: 'bob', name: h.d.bobName });
      assert.equal(m.text, 'Hello everyone! 👋');
      assert.match(m.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      await delay(50);
      assert.equal(h.messages().length, 1);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'connected'));
    });

    test('remote strings are sanitised', async () => {
      const h = await harness();
      h.d.post(h.d.room, 'bob', 'a\u001b]0;pwned\u0007b\u009b31mc\u202e');
      const m = await waitFor(() => h.messages()[0], 'message');
      assert.equal(m.text, 'abc');
    });

    test('send resolves with the server copy and its txnId; the live copy comes once, with the txnId', async () => {
      const h = await harness();
      const sent = await h.session.send(h.d.room, 'Hi "there" \\ ok', 'txn-1');
      assert.equal(sent.txnId, 'txn-1');
      assert.equal(sent.text, 'Hi "there" \\ ok');
      assert.equal(sent.profile, 'c');
      const live = await waitFor(() => h.messages().find((m) => m.id === sent.id), 'live copy');
      assert.equal(live.txnId, 'txn-1');
      await delay(100);
      assert.equal(h.messages().filter((m) => m.id === sent.id).length, 1);
    });

    test('history: the latest N oldest first, before a message, paging beyond one page', async () => {
      const h = await harness();
      for (let i = 1; i <= 250; i++) h.d.store(h.d.room, 'bob', `m${i}`);
      const last10 = await h.session.history!(h.d.room, { limit: 10 });
      assert.deepEqual(last10.map((m) => m.text), Array.from({ length: 10 }, (_, i) => `m${241 + i}`));
      const before = await h.session.history!(h.d.room, { limit: 5, before: last10[0]!.id });
      assert.deepEqual(before.map((m) => m.text), ['m236', 'm237', 'm238', 'm239', 'm240']);
      const many = await h.session.history!(h.d.room, { limit: 230 });
      assert.equal(many.length, 230);
      assert.equal(many[0]?.text, 'm21');
      assert.equal(many.at(-1)?.text, 'm250');
      assert.equal(new Set(many.map((m) => m.id)).size, 230);
    });

    test('rooms: listed with names, resolved by name, joined and parted', async () => {
      const h = await harness();
      const list = await h.session.listRooms!();
      assert.ok(list.some((r) => r.id === h.d.room && r.name === 'general'), JSON.stringify(list));
      const other = await h.session.joinRoom!('random');
      assert.equal(other.id, h.d.other);
      h.d.post(h.d.other, 'bob', 'in random');
      await waitFor(() => h.messages(h.d.other).length === 1, 'a message of the joined room');
      await h.session.partRoom!(h.d.other);
      h.d.post(h.d.other, 'bob', 'after part');
      await delay(100);
      assert.equal(h.messages(h.d.other).length, 1, 'no messages of a parted room');
      assert.ok(!h.session.rooms().some((r) => r.id === h.d.other));
    });
  });

  describe(`chatapi ${name}: typing and presence`, () => {
    test('typing of others arrives; ours is debounced: one start for a burst, stop after idle', async () => {
      const h = await harness({ session: { typingIdleMs: 150 } });
      h.d.typing(h.d.room, 'bob', true);
      const ty = await waitFor(() => h.events.find((e) => e.type === 'typing'), 'typing');
      assert.deepEqual(ty.type === 'typing' && [ty.user.id, ty.typing], ['bob', true]);
      h.d.typing(h.d.room, 'bob', false);
      await waitFor(() => h.events.some((e) => e.type === 'typing' && !e.typing), 'typing off');
      for (let i = 0; i < 5; i++) h.session.setTyping!(h.d.room, true);
      await waitFor(() => h.d.typingSent().length >= 1, 'start');
      assert.deepEqual(h.d.typingSent(), [true]);
      await waitFor(() => h.d.typingSent().length === 2, 'stop after idle');
      assert.deepEqual(h.d.typingSent(), [true, false]);
    });

    test('profile sendTyping: false sends nothing', async () => {
      const h = await harness({ profile: { sendTyping: false }, session: { typingIdleMs: 50 } });
      assert.equal(h.session.capabilities.typingSend, false);
      h.session.setTyping!(h.d.room, true);
      await delay(150);
      assert.deepEqual(h.d.typingSent(), []);
    });

    test('presence: a member coming online and going offline changes the room online list', async () => {
      const h = await harness();
      h.d.online('bob');
      await waitFor(() => h.events.some((e) => e.type === 'presence' && e.room === h.d.room && e.online.some((u) => u.id === 'bob')), 'bob online');
      h.d.offline('bob');
      await waitFor(() => {
        const last = h.events.filter((e) => e.type === 'presence' && e.room === h.d.room).at(-1);
        return last?.type === 'presence' && !last.online.some((u) => u.id === 'bob');
      }, 'bob offline');
    });
  });

  describe(`chatapi ${name}: drops and reconnects`, () => {
    test('a drop: reconnect and backfill the gap, nothing lost or doubled', async () => {
      const h = await harness();
      h.d.post(h.d.room, 'bob', 'before');
      await waitFor(() => h.messages().length === 1, 'first');
      h.d.drop();
      for (let i = 0; i < 5; i++) h.d.store(h.d.room, 'bob', `while down ${i}`);
      await waitFor(() => h.messages().length === 6, 'backfilled');
      h.d.post(h.d.room, 'bob', 'after');
      await waitFor(() => h.messages().length === 7, 'after');
      assert.deepEqual(h.messages().map((m) => m.text), ['before', 'while down 0', 'while down 1', 'while down 2', 'while down 3', 'while down 4', 'after']);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting'));
      assert.ok(!h.events.some((e) => e.type === 'gap'));
    });

    test('10 forced drops during a 1,000-message stream: 0 lost, 0 duplicated, in order', async () => {
      const h = await harness();
      const sent: string[] = [];
      for (let i = 0; i < 1000; i++) {
        sent.push(h.d.post(h.d.room, 'bob', `n${i}`));
        if (i % 100 === 50) {
          await waitFor(() => h.d.openNow() >= 1, 'an open connection to drop');
          h.d.drop(i % 200 === 50 ? undefined : 1011);
        }
        if (i % 20 === 0) await delay(2);
      }
      await waitFor(() => new Set(h.messages().map((m) => m.id)).size === 1000, 'all 1000 messages', 30_000);
      await delay(200);
      const ids = h.messages().map((m) => m.id);
      assert.equal(ids.length, 1000, 'no duplicates');
      assert.deepEqual(ids, sent, 'none lost, in order');
      assert.ok(h.d.accepted() >= 11, `reconnected after each drop (${h.d.accepted()} connections)`);
    });

    test('reconnectNow replaces the connection; disconnect emits offline and then nothing', async () => {
      const h = await harness();
      h.session.reconnectNow();
      await waitFor(() => h.d.accepted() === 2 && h.d.openNow() === 1, 'a new connection');
      await h.session.disconnect();
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'offline'));
      const n = h.events.length;
      await waitFor(() => h.d.openNow() === 0, 'closed');
      h.d.post(h.d.room, 'bob', 'x');
      await delay(100);
      assert.equal(h.events.length, n, 'no events after disconnect');
    });
  });

  describe(`chatapi ${name}: refusals and hostile input`, () => {
    test('a refused credential: auth error, no retry, connect rejects, no secret in the events', async () => {
      const d = await start();
      drivers.push(d);
      const h = await harness({ d, token: d.bad, connect: false });
      await assert.rejects(h.session.connect(new AbortController().signal), (e: unknown) => e instanceof ChatError && e.code === 'auth' && !e.message.includes(d.bad));
      const n = d.accepted();
      await delay(200);
      assert.equal(d.accepted(), n, 'no retry');
      assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'auth'));
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed'));
      assert.ok(!JSON.stringify(h.events).includes(d.bad));
    });

    test('server down at start: retries with reconnecting events, the first failure said once', async () => {
      const d = await start();
      await d.close();
      const h = await harness({ d, connect: false });
      void h.session.connect(new AbortController().signal).catch(() => {});
      await waitFor(() => h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length >= 3, 'retries');
      assert.equal(h.events.filter((e) => e.type === 'error').length, 1);
    });

    test('malformed frames never crash; a valid message still arrives; no reconnect needed', async () => {
      const h = await harness();
      for (const f of h.d.hostile) h.d.push(f);
      h.d.push(Buffer.from([0, 1, 2, 255]), true);
      h.d.post(h.d.room, 'bob', 'still here');
      await waitFor(() => h.messages().some((m) => m.text === 'still here'), 'the valid message');
      assert.equal(h.d.accepted(), 1, 'no reconnect needed');
      for (const e of h.events) assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(JSON.stringify(e).replace(/\\u00[0-9a-f]{2}/g, '')));
    });

    test('fuzz: 2 × 10,000 random and mutated frames; the heap stays bounded; a valid message arrives after each round', { timeout: 240_000 }, async (t) => {
      const h = await harness();
      let round = 0;
      const send = h.d.fuzzSend ?? ((f: FuzzFrame) => h.d.push(f.data, f.binary));
      const heap = [await settledHeap()];
      for (round = 1; round <= 2; round++) {
        const r = round;
        const counts = await fuzzRound({ seed: 2000 + round, count: 10_000, valid: (g, i) => h.d.validFrame(g, i, r) }, send);
        h.d.post(h.d.room, 'bob', `after round ${round}`);
        await waitFor(() => h.messages().some((m) => m.text === `after round ${r}`), `the valid message after round ${round}`, 20_000);
        assert.ok(h.messages().length > 500, `the fuzz's valid frames were parsed (${h.messages().length} messages)`);
        for (const m of h.messages()) assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(m.text + m.author.name + m.author.id));
        h.events.length = 0;
        heap.push(await settledHeap());
        t.diagnostic(`round ${round}: ${JSON.stringify(counts)}; heap ${toMiB(heap[round - 1]!)} → ${toMiB(heap[round]!)} MiB; connections ${h.d.accepted()}`);
      }
      assertHeapBounded(heap);
    });
  });
}
