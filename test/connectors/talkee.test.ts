import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { definition, createTalkeeSession, type TalkeeSession } from '../../src/connectors/talkee/index.js';
import { socketUrl, messagesUrl } from '../../src/connectors/talkee/urls.js';
import { decodeData, derivedId, toMessageEvent, authFrame } from '../../src/connectors/talkee/wire.js';
import { ChatError, UsageError } from '../../src/core/errors.js';
import type { ConnectorEvent, MessageEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { base64, startTalkeeServer, type TalkeeTestServer } from '../servers/talkee/server.js';
import { assertHeapBounded, fuzzRound, type Rng, settledHeap, toMiB } from './fuzz.js';

const SITE = 2;
const SLUG = 'talkee-demo';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(probe: () => T | undefined | false | null, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Harness {
  session: TalkeeSession;
  events: ConnectorEvent[];
  messages(): MessageEvent[];
  abort: AbortController;
  close(): Promise<void>;
}

function profileFor(s: TalkeeTestServer, extra: Partial<NamedProfile> = {}): NamedProfile {
  return { name: 't', service: 'talkee', url: s.url, apiUrl: s.apiUrl, siteId: SITE, rooms: [SLUG], ...extra };
}

function open(s: TalkeeTestServer, opts: { token?: string | null; profile?: Partial<NamedProfile>; idleTimeoutMs?: number; backoffMs?: number } = {}): Harness {
  const events: ConnectorEvent[] = [];
  const abort = new AbortController();
  const token = opts.token === null ? undefined : opts.token ?? s.token;
  const session = createTalkeeSession(
    { profile: profileFor(s, opts.profile), token, emit: (ev) => events.push(ev), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: opts.backoffMs ?? 40, capMs: opts.backoffMs ?? 120, ...(opts.backoffMs ? { random: () => 0.5 } : {}) }), ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}) },
  );
  return {
    session,
    events,
    abort,
    messages: () => events.filter((e): e is MessageEvent => e.type === 'message'),
    close: async () => {
      abort.abort();
      await session.disconnect();
    },
  };
}

describe('talkee wire: data decoding', () => {
  test('base64 of UTF-8 decodes to the text', () => {
    for (const text of ['Hello!', 'Привет, мир — 你好 ✓ 👋', 'line one\nline two', 'a']) assert.equal(decodeData(base64(text)), text);
    assert.equal(decodeData('SGVsbG8h'), 'Hello!');
    assert.equal(decodeData('SGVsbG8'), 'Hell' + 'o'); // padding left out
    assert.equal(decodeData(Buffer.from('ünï?>').toString('base64url')), 'ünï?>'); // URL-safe alphabet
    assert.equal(decodeData('SGVs\nbG8h'), 'Hello!'); // MIME line break
  });

  test('data that is not base64 of UTF-8 is shown raw', () => {
    assert.equal(decodeData('hello world'), 'hello world'); // spaces: not base64
    assert.equal(decodeData('Hi'), 'Hi'); // looks like base64 but non-canonical trailing bits
    assert.equal(decodeData('okay'), 'okay'); // valid base64, but the bytes are not UTF-8
    assert.equal(decodeData('raw \u001b[31mred'), 'raw \u001b[31mred');
    assert.equal(decodeData(Buffer.from([0xff, 0xfe, 0x41]).toString('base64')), '//5B'); // invalid UTF-8
    assert.equal(decodeData('abc=d'), 'abc=d'); // padding in the middle
    assert.equal(decodeData(''), '');
    assert.equal(decodeData(undefined), '');
    assert.equal(decodeData(null), '');
    assert.equal(decodeData({ a: 1 }), '{"a":1}');
    assert.equal(decodeData(42), '42');
  });
});

describe('talkee wire: message objects', () => {
  const user = { id: 7, mixin_user_id: 'u-7', mixin_identity_number: '7000107', full_name: 'John Wick' };

  test('RFC 3339 times with offset and nanoseconds become ISO UTC', () => {
    const ev = toMessageEvent({ id: 'm1', category: 'text', data: 'SGVsbG8h', created_at: '2023-02-06T17:26:17.800860098+09:00', user }, SLUG);
    assert.equal(ev?.time, '2023-02-06T08:26:17.800Z');
    assert.equal(toMessageEvent({ created_at: '2023-02-06T08:26:17.8-05:30', user }, SLUG)?.time, '2023-02-06T13:56:17.800Z');
    assert.equal(toMessageEvent({ created_at: '2023-02-06T08:26:17Z', user }, SLUG)?.time, '2023-02-06T08:26:17.000Z');
  });

  test('author, id, room and text', () => {
    const ev = toMessageEvent({ id: 'm1', category: 'text', data: base64('hi 👋'), created_at: '2023-02-06T17:26:17.8+09:00', user }, 'room/x');
    assert.deepEqual(ev && { id: ev.id, room: ev.room, author: ev.author, text: ev.text }, { id: 'm1', room: 'room/x', author: { id: '7', name: 'John Wick' }, text: 'hi 👋' });
    assert.equal(toMessageEvent({ id: 12, created_at: 'x', user: { id: '3', full_name: null } }, SLUG)?.author.name, 'unknown');
    assert.equal(toMessageEvent({ id: 12, created_at: 'x', user: null }, SLUG)?.id, '12');
  });

  test('a message without id gets a stable derived id', () => {
    const a = { category: 'text', data: 'SGVsbG8h', created_at: '2023-02-06T17:26:17.800860098+09:00', user };
    const id = toMessageEvent(a, SLUG)?.id;
    assert.match(id ?? '', /^talkee-[0-9a-f]{32}$/);
    assert.equal(toMessageEvent(JSON.parse(JSON.stringify(a)), SLUG)?.id, id);
    assert.notEqual(derivedId({ ...a, data: 'SGVsbG8' }), id);
    assert.notEqual(derivedId({ ...a, created_at: '2023-02-06T17:26:17.800860099+09:00' }), id);
  });

  test('remote strings are sanitised; non-messages are refused', () => {
    const ev = toMessageEvent({ data: base64('a\u001b]0;pwned\u0007b\u009b31mc\u202eexe'), created_at: 'x', user: { id: 1, full_name: 'evil\u001b[2J\u001b]8;;http://x\u0007name\nx' } }, SLUG);
    assert.equal(ev?.text, 'abcexe');
    assert.equal(ev?.author.name, 'evilname x');
    assert.equal(toMessageEvent({ code: 401, msg: 'unauthorized' }, SLUG), undefined);
    for (const v of [null, 1, 'x', [], {}, { foo: 1 }]) assert.equal(toMessageEvent(v, SLUG), undefined);
    assert.equal(toMessageEvent({ category: 'image', data: base64('x'), user }, SLUG)?.text, '[image] x');
  });

  test('urls: socket and chat REST with site_id and slug', () => {
    const slug = '/posts/2023/héllo wörld & more';
    const ws = socketUrl('https://talkee-ws.pando.im/ws/', 2, slug);
    assert.equal(ws.protocol, 'wss:');
    assert.equal(ws.pathname, '/ws');
    assert.equal(ws.searchParams.get('slug'), slug);
    assert.equal(ws.searchParams.get('site_id'), '2');
    assert.equal(socketUrl('http://127.0.0.1:9/ws', 3, 'a').href, 'ws://127.0.0.1:9/ws?site_id=3&slug=a');
    assert.equal(messagesUrl('wss://h/ws', 3, 'a').href, 'https://h/ws/messages?site_id=3&slug=a');
  });
});

describe('talkee profile validation', () => {
  const base = { service: 'talkee', token: 't', rooms: [SLUG] };
  test('site id is required and positive; slugs are required', () => {
    assert.doesNotThrow(() => definition.validate({ ...base, siteId: 2 }));
    for (const p of [{ ...base }, { ...base, siteId: 0 }, { ...base, siteId: -1 }, { ...base, siteId: 1.5 }, { ...base, siteId: 2, rooms: [] }, { ...base, siteId: 2, rooms: [''] }]) {
      assert.throws(
        () => definition.validate(p),
        (err: unknown) => err instanceof UsageError && !err.message.includes('\n') && /site|slug|room/i.test(err.message),
      );
    }
    assert.throws(() => definition.validate({ ...base }), /site-id/);
    assert.equal(definition.defaultUrl, 'https://talkee-ws.pando.im/ws');
    assert.equal(definition.capabilities.history, false);
    assert.equal(definition.capabilities.typingSend, false);
    assert.equal(definition.capabilities.presence, false);
    assert.equal(definition.capabilities.edits, false);
  });
});

describe('talkee session against the test server', () => {
  let s: TalkeeTestServer;
  before(async () => {
    s = await startTalkeeServer();
  });
  after(async () => {
    await s.close();
  });
  const reset = (): void => {
    s.siteError = null;
    s.sockets.length = 0;
    s.requests.length = 0;
    s.upgrades.length = 0;
    s.messages.length = 0;
  };

  test('opens /ws?site_id=&slug= and sends the auth frame and nothing else', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      const sock = await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'an authenticated socket');
      assert.equal(s.upgrades[0]?.query.site_id, String(SITE));
      assert.equal(s.upgrades[0]?.query.slug, SLUG);
      assert.deepEqual(sock.frames[0]?.json, { type: 'auth', token: s.token });
      assert.ok((sock.frames[0]?.bytes ?? 999) <= 512);
      s.post(SITE, SLUG, { text: 'Hello everyone! 👋' });
      const [m] = await waitFor(() => (h.messages().length ? h.messages() : undefined), 'a message');
      assert.equal(m?.text, 'Hello everyone! 👋');
      assert.deepEqual(m?.author, { id: '2', name: 'Jane Smith' });
      assert.equal(m?.room, SLUG);
      assert.match(m?.time ?? '', /Z$/);
      assert.equal(Date.parse(m?.time ?? ''), Date.parse(s.messages[0]?.created_at ?? ''));
      await sleep(300);
      assert.equal(sock.frames.length, 1, 'only the auth frame was sent');
      assert.equal(sock.closed, null);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'connected' && e.room === SLUG));
    } finally {
      await h.close();
    }
  });

  test('each slug is its own socket; other sites and slugs do not leak in', async () => {
    reset();
    const other = '/posts/2023/héllo wörld & more';
    const h = open(s, { profile: { rooms: [SLUG, other] } });
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, other).find((x) => x.userId === 1) && s.open(SITE, SLUG).find((x) => x.userId === 1), 'two sockets');
      s.post(SITE, other, { text: 'in the post' });
      s.post(SITE, SLUG, { text: 'in the demo' });
      s.post(SITE + 1, SLUG, { text: 'other site' });
      await waitFor(() => h.messages().length >= 2, 'two messages');
      await sleep(200);
      assert.deepEqual(
        h.messages().map((m) => [m.room, m.text]),
        [
          [other, 'in the post'],
          [SLUG, 'in the demo'],
        ],
      );
      assert.deepEqual(h.session.rooms().map((r) => r.id), [SLUG, other]);
      assert.ok(s.sockets.every((x) => x.frames.length === 1 && (x.frames[0]?.json as { type?: string }).type === 'auth'));
    } finally {
      await h.close();
    }
  });

  test('send POSTs base64 text with Bearer and one uuid in id and message_id; the answer is the message', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      const sock = await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const text = 'Hi "there" \\ ok — 👋 ünïcødé 中文';
      const txn = '0b5e8c5e-1d7a-4f7e-9a51-3c1f0f7f2a10';
      const msg = await h.session.send(SLUG, text, txn);
      const post = s.requests.find((r) => r.method === 'POST' && r.path === '/ws/messages');
      assert.ok(post);
      assert.deepEqual([post.query.site_id, post.query.slug], [String(SITE), SLUG]);
      assert.equal(post.headers.authorization, `Bearer ${s.token}`);
      const body = JSON.parse(post.body) as Record<string, string>;
      assert.match(body.id ?? '', UUID);
      assert.equal(body.message_id, body.id);
      assert.equal(body.category, 'text');
      assert.equal(body.data, base64(text));
      assert.equal(body.id, txn); // a uuid txnId is the message id
      assert.equal(msg.id, body.id);
      assert.equal(msg.txnId, txn);
      assert.equal(msg.text, text);
      assert.equal(msg.room, SLUG);
      assert.equal(msg.profile, 't');
      assert.deepEqual(msg.author, { id: '1', name: 'John Wick' });
      assert.deepEqual(h.session.me(), { id: '1', name: 'John Wick' });
      // Emitted once, from the answer; the authenticated socket gets no echo.
      await sleep(200);
      assert.deepEqual(h.messages().map((m) => m.id), [msg.id]);
      assert.equal(h.messages()[0]?.txnId, txn);
      assert.equal(sock.frames.length, 1);
      // A non-uuid txnId still sends a uuid.
      const second = await h.session.send(SLUG, 'two', 'local-1');
      assert.match(second.id, UUID);
      assert.equal(second.txnId, 'local-1');
    } finally {
      await h.close();
    }
  });

  test('our user is read from GET {apiUrl}/me when the profile does not name it', async () => {
    reset();
    const h = open(s);
    try {
      assert.deepEqual(h.session.me(), { id: '1', name: 'user 1' }); // from the token's user_id claim
      await h.session.connect(h.abort.signal);
      await waitFor(() => h.session.me()?.name === 'John Wick', 'the name from /me');
      assert.equal(s.requests.find((r) => r.path === '/api/me')?.headers.authorization, `Bearer ${s.token}`);
    } finally {
      await h.close();
    }
  });

  test('an unauthenticated socket gets our own message back once: deduped by id', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      // A second, unauthenticated socket of the same room as ours would see the echo; simulate it by pushing the frame.
      const msg = await h.session.send(SLUG, 'echo me', 'txn-x');
      const stored = s.messages.at(-1);
      s.raw(SITE, SLUG, JSON.stringify(stored));
      s.raw(SITE, SLUG, JSON.stringify(stored));
      s.post(SITE, SLUG, { text: 'after' });
      await waitFor(() => h.messages().some((m) => m.text === 'after'), 'the next message');
      assert.deepEqual(h.messages().map((m) => m.text), ['echo me', 'after']);
      assert.equal(h.messages()[0]?.id, msg.id);
    } finally {
      await h.close();
    }
  });

  test('a message frame without id is delivered once (derived id), duplicates dropped', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const m = s.post(SITE, SLUG, { text: 'no id', id: null });
      assert.equal(m.id, undefined);
      s.raw(SITE, SLUG, JSON.stringify(m));
      s.post(SITE, SLUG, { text: 'end' });
      await waitFor(() => h.messages().some((x) => x.text === 'end'), 'end');
      assert.deepEqual(h.messages().map((x) => x.text), ['no id', 'end']);
      assert.match(h.messages()[0]?.id ?? '', /^talkee-/);
    } finally {
      await h.close();
    }
  });

  test('send refused with HTTP 200 {code:401} is a ChatError auth, nothing stored', async () => {
    reset();
    const bad = `${s.token.slice(0, -6)}AAAAAA`;
    const h = open(s, { token: bad });
    try {
      await h.session.connect(h.abort.signal);
      await assert.rejects(h.session.send(SLUG, 'hello', 'txn-1'), (err: unknown) => {
        assert.ok(err instanceof ChatError);
        assert.equal(err.code, 'auth');
        assert.equal(err.retryable, false);
        assert.match(err.message, /unauthorized/);
        assert.ok(!err.message.includes(bad));
        return true;
      });
      assert.equal(s.messages.length, 0);
      assert.equal(h.messages().length, 0);
    } finally {
      await h.close();
    }
  });

  test('a bad site id answered with HTTP 200 JSON is reported with its text and not retried', async () => {
    reset();
    s.siteError = 'invalid site id';
    const h = open(s);
    try {
      await assert.rejects(h.session.connect(h.abort.signal), (err: unknown) => {
        assert.ok(err instanceof ChatError);
        assert.equal(err.code, 'not_found');
        assert.match(err.message, /invalid site id/);
        assert.doesNotMatch(err.message, /unexpected/i);
        return true;
      });
      const errors = h.events.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1);
      assert.match(errors[0]?.type === 'error' ? errors[0].message : '', /invalid site id/);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed' && e.room === undefined), 'profile-level failed');
      await sleep(400); // backoff here is ≤ 120 ms: a retry would show
      assert.equal(s.upgrades.length, 1);
      // A send to the refused site names the cause too.
      await assert.rejects(h.session.send(SLUG, 'x', 'txn'), /invalid site id/);
    } finally {
      await h.close();
    }
  });

  test('a refused slug fails only its own room; the others keep working', async () => {
    reset();
    s.refuseRoom = (slug) => (slug === 'refused' ? 'invalid slug' : null);
    const h = open(s, { profile: { rooms: [SLUG, 'refused'] } });
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => h.events.find((e) => e.type === 'connection' && e.state === 'failed' && e.room === 'refused'), 'the refused room failing');
      const errors = h.events.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1);
      assert.ok(errors[0]?.type === 'error' && errors[0].room === 'refused' && /invalid slug/.test(errors[0].message));
      assert.ok(!h.events.some((e) => e.type === 'connection' && e.state === 'failed' && e.room === undefined), 'the profile has not failed');
      s.post(SITE, SLUG, { text: 'still fine' });
      await waitFor(() => h.messages().some((m) => m.text === 'still fine'), 'a message in the good room');
    } finally {
      s.refuseRoom = null;
      await h.close();
    }
  });

  test('reconnects after drops (terminate, empty close frame, close codes) and emits a gap each time', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const drops: ('terminate' | 'empty' | number)[] = ['terminate', 'empty', 1001, 1011, 4000];
      for (const [i, how] of drops.entries()) {
        s.drop(how);
        await waitFor(() => h.events.filter((e) => e.type === 'gap').length === i + 1, `gap ${i + 1}`);
        await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth again');
        s.post(SITE, SLUG, { text: `after ${i}` });
        await waitFor(() => h.messages().some((m) => m.text === `after ${i}`), `after ${i}`);
      }
      const gaps = h.events.filter((e) => e.type === 'gap');
      assert.ok(gaps.every((g) => g.type === 'gap' && g.room === SLUG));
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting' && typeof e.retryAt === 'string'));
      assert.equal(s.sockets.length, drops.length + 1);
      assert.ok(s.sockets.every((x) => x.frames.length === 1 && (x.frames[0]?.json as { type?: string }).type === 'auth'), 'every connection sent only its auth frame');
    } finally {
      await h.close();
    }
  });

  test('the socket handshake asks for no permessage-deflate', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      const sock = await waitFor(() => s.open(SITE, SLUG)[0], 'a socket');
      assert.ok(!/permessage-deflate/.test(sock.extensions ?? ''), `Sec-WebSocket-Extensions: ${sock.extensions}`);
    } finally {
      await h.close();
    }
  });

  test('close 1008 (policy): waits the backoff cap, says the server reason, fails as protocol after 3 in a row', async () => {
    reset();
    s.closeNext(10, 1008, 'policy: no more');
    const h = open(s, { backoffMs: 60 });
    try {
      await h.session.connect(h.abort.signal); // talkee counts a socket as up once it opens
      await waitFor(() => h.events.find((e) => e.type === 'connection' && e.state === 'failed' && e.room === SLUG), 'the room failed');
      assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'protocol' && /1008/.test(e.message)));
      await sleep(150);
      assert.equal(s.sockets.length, 3, 'stopped after 3 policy closes');
      const waits = h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting');
      assert.equal(waits.length, 2);
      for (const w of waits) assert.match(w.type === 'connection' ? (w.reason ?? '') : '', /1008 policy violation: policy: no more/);
      const at = s.sockets.map((x) => x.openedAt);
      assert.ok(at[1]! - at[0]! >= 50 && at[2]! - at[1]! >= 50, `waited the cap (${at.join(', ')})`);
      assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed' && e.room === undefined), 'every room failed: the profile failed');
    } finally {
      s.closeNext(0, 1000, '');
      await h.close();
    }
  });

  test('an unreachable server: one network error, then retries until it is there', async () => {
    const probe = await startTalkeeServer();
    const port = probe.port;
    await probe.close();
    const events: ConnectorEvent[] = [];
    const session = createTalkeeSession(
      { profile: { name: 't', service: 'talkee', url: `http://127.0.0.1:${port}/ws`, siteId: SITE, rooms: [SLUG] }, token: 'x.y.z', emit: (ev) => events.push(ev), saveProfile: async () => {} },
      { backoff: () => new Backoff({ baseMs: 20, capMs: 40 }) },
    );
    const abort = new AbortController();
    let settled = false;
    session.connect(abort.signal).then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      await waitFor(() => events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length >= 3, 'three retries');
      const errors = events.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1);
      assert.ok(errors[0]?.type === 'error' && errors[0].code === 'network' && /ECONNREFUSED/i.test(errors[0].message));
      assert.equal(settled, false, 'connect waits while retrying');
    } finally {
      abort.abort();
      await session.disconnect();
    }
  });

  test('reconnectNow replaces the socket at once, without the backoff wait, and retries a failed room', async () => {
    reset();
    const h = open(s, { backoffMs: 600_000 }); // any wait from the backoff would outlast the test
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).length === 1, 'socket');
      h.session.reconnectNow();
      await waitFor(() => s.sockets.length === 2 && s.open(SITE, SLUG).length === 1, 'second socket');
      await waitFor(() => h.events.some((e) => e.type === 'gap'), 'gap');
      s.drop('empty'); // now the backoff applies: no third socket
      await waitFor(() => h.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').length === 2, 'reconnecting');
      await sleep(200);
      assert.equal(s.sockets.length, 2);
      h.session.reconnectNow(); // cuts the wait short
      await waitFor(() => s.sockets.length === 3 && s.open(SITE, SLUG).length === 1, 'third socket');
    } finally {
      await h.close();
    }
    reset();
    s.siteError = 'invalid site id';
    const f = open(s, { backoffMs: 600_000 });
    try {
      await assert.rejects(f.session.connect(f.abort.signal));
      s.siteError = null;
      f.session.reconnectNow();
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'the failed room reopened');
    } finally {
      await f.close();
    }
  });

  test('a silent socket (no frames, no pings) is replaced', async () => {
    reset();
    const h = open(s, { idleTimeoutMs: 300 });
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(
        () => h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting' && /no frames or pings/.test(e.reason ?? '')),
        'an idle reconnect',
      );
      await waitFor(() => s.sockets.length >= 2, 'a new socket');
    } finally {
      await h.close();
    }
  });

  test('server pings keep a quiet socket alive (ws answers them)', async () => {
    const quick = await startTalkeeServer({ pingIntervalMs: 50, pongWaitMs: 200 });
    const h = open(quick, { idleTimeoutMs: 300 });
    try {
      await h.session.connect(h.abort.signal);
      await sleep(800);
      assert.equal(quick.sockets.length, 1);
      assert.equal(quick.sockets[0]?.closed, null);
      assert.ok((quick.sockets[0]?.pongs ?? 0) >= 3, "pings were answered");
      assert.equal(quick.sockets[0]?.frames.length, 1);
    } finally {
      await h.close();
      await quick.close();
    }
  });

  test('a refused token (1005 right after auth) → auth error, then receive without auth', async () => {
    reset();
    const bad = `${s.token.slice(0, -6)}BBBBBB`;
    const h = open(s, { token: bad });
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => h.events.find((e) => e.type === 'error' && e.code === 'auth'), 'an auth error');
      const quiet = await waitFor(() => s.open(SITE, SLUG).find((x) => x.frames.length === 0), 'an unauthenticated socket');
      s.post(SITE, SLUG, { text: 'still here' });
      await waitFor(() => h.messages().some((m) => m.text === 'still here'), 'the message');
      await sleep(200);
      assert.equal(quiet.frames.length, 0);
      assert.equal(quiet.closed, null);
      assert.ok(s.sockets.slice(0, 2).every((x) => x.closed?.code === 1005));
    } finally {
      await h.close();
    }
  });

  test('a token that makes the auth frame larger than 512 bytes is refused locally', async () => {
    reset();
    const long = 'x'.repeat(600);
    assert.ok(authFrame(long).bytes > 512);
    const h = open(s, { token: long });
    try {
      await assert.rejects(h.session.connect(h.abort.signal), (err: unknown) => err instanceof ChatError && err.code === 'auth' && /512/.test(err.message) && !err.message.includes(long));
      assert.equal(s.upgrades.length, 0);
    } finally {
      await h.close();
    }
  });

  test('malformed, binary and oversized frames never break the session', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const junk: (string | Buffer)[] = ['not json', '', 'null', '1', '"x"', '[]', '[1,2]', '{}', '{"user":5}', '{"data":{"x":[1]}}', '{"code":500,"msg":"boom"}', '{"created_at":12,"user":"x"}', '{'.repeat(5000), JSON.stringify({ data: 'x'.repeat(100), user: { full_name: { a: 1 } } })];
      for (const f of junk) s.raw(SITE, SLUG, f);
      s.raw(SITE, SLUG, Buffer.from([0, 1, 2, 255]), { binary: true });
      s.raw(SITE, SLUG, JSON.stringify({ id: 'big', data: 'A'.repeat(1024 * 1024 + 10), created_at: 'x', user: { id: 1 } }));
      s.post(SITE, SLUG, { text: 'valid after junk' });
      await waitFor(() => h.messages().some((m) => m.text === 'valid after junk'), 'the valid message');
      assert.ok(!h.messages().some((m) => m.id === 'big'), 'the oversized frame is dropped');
      assert.ok(h.events.some((e) => e.type === 'notice' && /over 1 MiB/.test(e.text)), 'with a notice');
      assert.equal(s.open(SITE, SLUG).length, 1);
      assert.equal(s.sockets.length, 1, 'no reconnect needed');
    } finally {
      await h.close();
    }
  });

  test('fuzz: 2 × 10,000 random and mutated frames; the heap stays bounded; a valid message arrives after each round', async (t) => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const template = s.post(SITE, SLUG, { text: 'template' });
      await waitFor(() => h.messages().length, 'the template');
      let round = 0;
      // Valid frames (facts §5, §10): message objects with fresh ids (or none: derived id), other categories,
      // a batch array, an error body.
      const valid = (r: Rng, i: number): unknown => {
        const user = { ...template.user, id: 2 + r.int(50), full_name: `User ${r.int(50)}` };
        // One in ten with a 20 KB id: the seen-id set may keep 128 characters of it, not 20 KB.
        const uuid = `00000000-0000-4000-8000-${String(round * 1_000_000 + i).padStart(12, '0')}`;
        const m = { id: r.int(10) ? uuid : `${uuid}${'i'.repeat(20_000)}`, category: 'text', data: base64(`m ${i} ✓`), created_at: template.created_at, user };
        const roll = r.int(10);
        if (roll < 6) return m;
        if (roll === 6) return { category: r.pick(['PLAIN_IMAGE', 'text']), data: base64(`no id ${round} ${i}`), created_at: template.created_at, user };
        if (roll === 7) return [m, { ...m, id: `${m.id.slice(0, -1)}f` }];
        if (roll === 8) return { code: 500, msg: 'internal error' };
        return { ...m, data: `plain text ${i}` };
      };
      const heap = [await settledHeap()];
      for (round = 1; round <= 2; round++) {
        const counts = await fuzzRound({ seed: 4000 + round, count: 10_000, valid }, (f) => s.raw(SITE, SLUG, f.data, { binary: f.binary }));
        s.post(SITE, SLUG, { text: `after round ${round}` });
        await waitFor(() => h.messages().some((m) => m.text === `after round ${round}`), `the valid message after round ${round}`, 15_000);
        assert.ok(h.messages().length > 1000, `the fuzz's valid frames were parsed (${h.messages().length} messages)`);
        for (const m of h.messages()) {
          assert.equal(typeof m.id, 'string');
          assert.equal(typeof m.text, 'string');
          assert.equal(typeof m.author.id, 'string');
          assert.equal(typeof m.author.name, 'string');
          assert.ok(!Number.isNaN(Date.parse(m.time)));
          assert.doesNotMatch(m.text + m.author.name, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        }
        const notices = h.events.filter((e) => e.type === 'notice');
        assert.ok(notices.length < 50 && (round > 1 || notices.length > 0), `bad frames get notices, throttled (${notices.length})`);
        if (round === 1) assert.ok(notices.some((e) => /over 1 MiB/.test(e.text)), 'a notice for an oversized frame');
        assert.equal(s.sockets.length, 1, 'the socket survived');
        assert.equal(s.sockets[0]?.frames.length, 1, 'and we still sent nothing but auth');
        h.events.length = 0; // the test's copy of the events is not the connector's memory
        heap.push(await settledHeap());
        t.diagnostic(`round ${round}: ${JSON.stringify(counts)}; heap ${toMiB(heap[round - 1]!)} → ${toMiB(heap[round]!)} MiB`);
      }
      assertHeapBounded(heap);
    } finally {
      await h.close();
    }
  });

  test('20 forced drops during a 2,000-message stream: each message once, in order, a gap per reconnect', async () => {
    reset();
    const h = open(s);
    try {
      await h.session.connect(h.abort.signal);
      await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth');
      const ways: ('terminate' | 'empty' | number)[] = ['terminate', 'empty', 1000, 1001, 1008, 1011, 1012, 1013, 4000];
      const posted: string[] = [];
      for (let i = 0; i < 2000; i++) {
        posted.push(s.post(SITE, SLUG, { text: `m${i}` }).id ?? '');
        if (i % 100 === 99) {
          await waitFor(() => h.messages().length === posted.length, `delivery before drop ${i}`, 10_000);
          s.drop(ways[(i / 100) % ways.length | 0] ?? 'terminate');
          const gaps = (i + 1) / 100;
          await waitFor(() => h.events.filter((e) => e.type === 'gap').length === gaps, `gap ${gaps}`, 10_000);
          await waitFor(() => s.open(SITE, SLUG).find((x) => x.userId === 1), 'auth again', 10_000);
        } else if (i % 10 === 0) await sleep(0);
      }
      await waitFor(() => h.messages().length >= posted.length, 'every message', 10_000);
      await sleep(100);
      assert.deepEqual(h.messages().map((m) => m.id), posted, '0 lost, 0 duplicated, in order');
      assert.equal(h.events.filter((e) => e.type === 'gap').length, 20);
      assert.ok(s.sockets.every((x) => x.frames.length === 1));
    } finally {
      await h.close();
    }
  });

  test('no events after disconnect; the server sees the socket closed', async () => {
    reset();
    const h = open(s);
    await h.session.connect(h.abort.signal);
    await waitFor(() => s.open(SITE, SLUG).length === 1, 'socket');
    await h.close();
    const n = h.events.length;
    s.post(SITE, SLUG, { text: 'late' });
    await sleep(100);
    assert.equal(h.events.length, n);
    await waitFor(() => s.open(SITE, SLUG).length === 0, 'closed on the server');
  });

  test('login posts the Mixin token with an Origin header and reads /me', async () => {
    reset();
    const said: string[] = [];
    const abort = new AbortController();
    const login = definition.login;
    assert.ok(login);
    const patch = await login(profileFor(s), { mixinToken: s.mixinToken, say: (l) => said.push(l), signal: abort.signal });
    const req = s.requests.find((r) => r.path === '/api/auth/login');
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.match(String(req.headers.origin), /^https?:\/\//);
    assert.deepEqual(JSON.parse(req.body), { method: 'mixin_token', mixin_token: s.mixinToken, lang: 'en' });
    const me = s.requests.find((r) => r.path === '/api/me');
    assert.equal(me?.headers.authorization, `Bearer ${patch.token}`);
    assert.match(patch.token ?? '', /^ey/);
    assert.equal(patch.userId, '1');
    assert.equal(patch.userName, 'John Wick');
    assert.ok(patch.tokenExpiresAt && Date.parse(patch.tokenExpiresAt) > Date.now() + 300 * 86400_000);
    assert.ok(!said.join('\n').includes(s.mixinToken) && !said.join('\n').includes(patch.token ?? '?'));
    // The new token works for sending.
    const h = open(s, { token: patch.token ?? null });
    try {
      await h.session.connect(h.abort.signal);
      const m = await h.session.send(SLUG, 'after login', 'txn');
      assert.equal(m.author.name, 'John Wick');
    } finally {
      await h.close();
    }
  });

  test('login errors: refused Mixin token → auth; no Mixin token → usage', async () => {
    const login = definition.login;
    assert.ok(login);
    const opts = { say: () => {}, signal: new AbortController().signal };
    await assert.rejects(login(profileFor(s), { ...opts, mixinToken: 'not-a-mixin-token' }), (err: unknown) => err instanceof ChatError && err.code === 'auth' && /invalid issuer/.test(err.message));
    await assert.rejects(login(profileFor(s), opts), (err: unknown) => err instanceof UsageError && /--mixin-token/.test(err.message));
  });
});

