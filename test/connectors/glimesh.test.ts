import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { createGlimeshSession, definition, tokenExpired, type GlimeshSession, type GlimeshSessionOptions } from '../../src/connectors/glimesh/index.js';
import { compareIds, decodeFrame, graphemeCount, parseMessage } from '../../src/connectors/glimesh/wire.js';
import { ChatError, UsageError } from '../../src/core/errors.js';
import { pageHistory } from '../../src/core/history.js';
import type { ConnectorEvent, MessageEvent } from '../../src/core/events.js';
import type { NamedProfile, Profile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startGlimeshServer, type GlimeshServer } from '../servers/glimesh/server.js';
import { assertHeapBounded, fuzzRound, type Rng, settledHeap, toMiB } from './fuzz.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(probe: () => T | undefined | false | null, what: string, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Harness {
  session: GlimeshSession;
  events: ConnectorEvent[];
  saved: Partial<Profile>[];
  messages(room?: string): MessageEvent[];
  connect(): Promise<void>;
  close(): Promise<void>;
}

const servers: GlimeshServer[] = [];
const harnesses: Harness[] = [];
async function server(opts: Parameters<typeof startGlimeshServer>[0] = {}): Promise<GlimeshServer> {
  const s = await startGlimeshServer(opts);
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const s of servers.splice(0)) await s.close();
});

function open(s: GlimeshServer, opts: { token?: string | null; profile?: Partial<NamedProfile>; session?: GlimeshSessionOptions } = {}): Harness {
  const events: ConnectorEvent[] = [];
  const saved: Partial<Profile>[] = [];
  const abort = new AbortController();
  const token = opts.token === null ? undefined : opts.token ?? s.token;
  const profile: NamedProfile = { name: 'g', service: 'glimesh', url: s.url, rooms: ['6'], ...opts.profile };
  const session = createGlimeshSession(
    { profile, token, emit: (ev) => events.push(ev), saveProfile: async (p) => void saved.push(p) },
    { backoff: () => new Backoff({ baseMs: 30, capMs: 100 }), pushTimeoutMs: 2000, ...opts.session },
  );
  const h: Harness = {
    session,
    events,
    saved,
    messages: (room) => events.filter((e): e is MessageEvent => e.type === 'message' && (room === undefined || e.room === room)),
    connect: () => session.connect(abort.signal),
    close: async () => {
      abort.abort();
      await session.disconnect();
    },
  };
  harnesses.push(h);
  return h;
}
const chatSubs = (s: GlimeshServer, id = '6'): number => s.subscriptions().filter((x) => x.topic === `chat:${id}`).length;
const docFrames = (s: GlimeshServer): unknown[][] => s.frames.map((f) => f.json).filter((j): j is unknown[] => Array.isArray(j) && j[3] === 'doc');

describe('glimesh wire', () => {
  test('decodeFrame keeps V2 arrays and drops the rest', () => {
    const ok = decodeFrame('[null,"3","phoenix","phx_reply",{"response":{},"status":"ok"}]');
    assert.ok(typeof ok === 'object');
    assert.equal(ok.join_ref, null);
    assert.equal(ok.ref, '3');
    assert.equal(decodeFrame('not json'), 'malformed');
    assert.equal(decodeFrame('[1,2,3]'), 'malformed');
    assert.equal(decodeFrame('[null,null,5,"x",{}]'), 'malformed');
    assert.equal(decodeFrame('[null,null,"t","x",[]]'), 'malformed');
    assert.equal(decodeFrame(new ArrayBuffer(4)), 'binary');
    assert.equal(decodeFrame(`[null,null,"t","x",{"a":"${'x'.repeat(1024 * 1024)}"}]`), 'oversized');
    const numRefs = decodeFrame('[1,2,"t","x",{}]');
    assert.ok(typeof numRefs === 'object' && numRefs.ref === '2' && numRefs.join_ref === '1');
  });

  test('insertedAt without a zone is UTC, whatever TZ says', () => {
    const ev = parseMessage({ id: '1', message: 'hi', insertedAt: '2021-01-08T05:03:44', user: { id: '5', username: 'a', displayname: 'A' } }, '6');
    assert.equal(ev?.time, '2021-01-08T05:03:44.000Z');
  });

  test('follow and subscription messages become system messages with the name in front', () => {
    const follow = parseMessage({ id: '1', message: ' just followed the stream!', insertedAt: '2021-01-08T05:03:44', isFollowedMessage: true, user: { id: '5', username: 'kirby', displayname: 'Kirby' } }, '6');
    assert.equal(follow?.kind, 'system');
    assert.equal(follow?.text, 'Kirby just followed the stream!');
  });

  test('remote strings are sanitised, malformed messages refused', () => {
    const ev = parseMessage({ id: '2', message: 'a\u001b[2Jb\u202ec', insertedAt: 'x', user: { id: '5', username: 'E\u001b]0;t\u0007vil', displayname: '' } }, '6');
    assert.equal(ev?.text, 'abc');
    assert.equal(ev?.author.name, 'Evil');
    assert.equal(parseMessage({ id: '3', message: 'x' }, '6'), undefined);
    assert.equal(parseMessage({ message: 'x', user: {} }, '6'), undefined);
    assert.equal(parseMessage('nope', '6'), undefined);
  });

  test('ids compare as integers; graphemes count emoji as one', () => {
    assert.ok(compareIds('99', '100') < 0);
    assert.ok(compareIds('100', '100') === 0);
    assert.equal(graphemeCount('👋🏽e\u0301'), 2);
  });

  test('validate and expiry helpers', () => {
    assert.throws(() => definition.validate({ service: 'glimesh' }), UsageError);
    assert.throws(() => definition.validate({ service: 'glimesh', token: 't', rooms: ['bad room!'] }), UsageError);
    definition.validate({ service: 'glimesh', clientId: 'c', rooms: ['Mytho', '6'] });
    assert.equal(tokenExpired(new Date(Date.now() - 1000).toISOString()), true);
    assert.equal(tokenExpired(new Date(Date.now() + 3600_000).toISOString()), false);
    assert.equal(tokenExpired(undefined), false);
  });
});

describe('glimesh session: socket', () => {
  test('connects with vsn 2.0.0 and the token, joins control, subscribes with variables, routes by subscription id', async () => {
    const s = await server();
    const h = open(s, { profile: { rooms: ['6', 'thecat'] } });
    await h.connect();
    const up = s.upgrades[0]!;
    assert.equal(up.headers['sec-websocket-extensions'], undefined, 'no permessage-deflate offered (the kit\'s rule)');
    assert.equal(up.headers['user-agent'], 'chat-tui');
    assert.equal(up.query.vsn, '2.0.0');
    assert.equal(up.query.token, s.token);
    assert.equal(up.query.client_id, undefined);
    const join = s.frames.find((f) => Array.isArray(f.json) && f.json[3] === 'phx_join')!.json as unknown[];
    assert.equal(join[2], '__absinthe__:control');
    assert.equal(typeof join[0], 'string');
    assert.equal(typeof join[1], 'string');
    const docs = docFrames(s);
    for (const d of docs) {
      const payload = d[4] as { query: string; variables: Record<string, unknown> };
      assert.ok(!/\b(6|9)\b/.test(payload.query), `ids go in variables, not the document: ${payload.query}`);
    }
    assert.ok(docs.some((d) => (d[4] as { variables: Record<string, unknown> }).variables.channelId === '9'), 'thecat resolved to channel 9');
    assert.equal(chatSubs(s, '6'), 1);
    assert.equal(chatSubs(s, '9'), 1);
    const a = s.post('6', 'Kirby', 'in six');
    const b = s.post('9', 'Kirby', 'in nine');
    await waitFor(() => h.messages().length === 2, 'two messages');
    const [m6, m9] = [h.messages('6')[0]!, h.messages('9')[0]!];
    assert.equal(m6.id, a.id);
    assert.equal(m6.text, 'in six');
    assert.equal(m9.id, b.id);
    assert.equal(m9.text, 'in nine');
    assert.equal(m6.author.name, 'Kirby');
    assert.equal(m6.author.id, '752');
    const rooms = h.session.rooms();
    assert.deepEqual(rooms.map((r) => [r.id, r.name]).sort(), [['6', 'Mytho'], ['9', 'TheCat']]);
    assert.ok(h.events.some((e) => e.type === 'room' && e.room === '9' && e.live === true && e.topic === 'Cats'));
  });

  test('a push for an unknown subscription id is ignored; malformed and oversized frames never crash', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    s.pushRaw(JSON.stringify([null, null, '__absinthe__:doc:1:FOREIGN', 'subscription:data', { result: { data: { chatMessage: { id: '1', message: 'x', insertedAt: '2021-01-01T00:00:00', user: { id: '1', username: 'x', displayname: 'x' } } } } }]));
    s.pushRaw('this is not json');
    s.pushRaw('{"an":"object"}');
    s.pushRaw(Buffer.from([1, 2, 3]), true);
    s.pushRaw(JSON.stringify([null, null, 'x', 'y', { big: 'z'.repeat(1100 * 1024) }]));
    s.pushData('chat:6', () => ({ result: { data: { chatMessage: { id: null } } } }));
    s.pushData('chat:6', () => ({ result: 'nope' }));
    const posted = s.post('6', 'Kirby', 'still alive');
    await waitFor(() => h.messages().length >= 1, 'the valid message');
    assert.deepEqual(h.messages().map((m) => m.id), [posted.id]);
    assert.ok(h.events.some((e) => e.type === 'notice' && /larger than 1 MiB/.test(e.text)), 'oversized notice');
    assert.ok(h.events.some((e) => e.type === 'notice' && /malformed/.test(e.text)), 'malformed notice');
  });

  test('a refused token is one auth error after one upgrade, no retry loop, no token in it', async () => {
    const s = await server();
    const h = open(s, { token: 'glm-bad-token-123' });
    await assert.rejects(h.connect(), (e: unknown) => e instanceof ChatError && e.code === 'auth' && /403/.test(e.message) && !e.message.includes('glm-bad'));
    await sleep(400);
    assert.equal(s.upgrades.length, 1);
    assert.equal(s.upgrades[0]!.status, 403);
    const errors = h.events.filter((e) => e.type === 'error');
    assert.equal(errors.length, 1);
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'failed'));
    assert.ok(!JSON.stringify(h.events).includes('glm-bad-token-123'));
    await assert.rejects(h.session.send('6', 'hi', 't1'), (e: unknown) => e instanceof ChatError && e.code === 'auth');
  });

  test('a missing heartbeat reply means reconnect, then resubscribe', async () => {
    const s = await server();
    const h = open(s, { session: { heartbeatIntervalMs: 150 } });
    await h.connect();
    await waitFor(() => s.counters.heartbeats >= 2, 'heartbeats answered');
    assert.equal(s.upgrades.length, 1);
    s.state.muteHeartbeats = true;
    await waitFor(() => s.upgrades.length >= 2, 'a reconnect after the heartbeat timeout');
    s.state.muteHeartbeats = false;
    assert.ok(h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting' && e.retryAt && /heartbeat/.test(e.reason ?? '')), JSON.stringify(h.events.filter((e) => e.type === 'connection')));
    await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, 'resubscribed on the new socket');
    const m = s.post('6', 'Kirby', 'after heartbeat timeout');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'the message on the new socket');
  });

  test('the idle close 1000 and 1011 reconnect and resubscribe once', async () => {
    const s = await server({ idleTimeoutMs: 300 });
    const h = open(s, { session: { heartbeatIntervalMs: 60_000 } });
    await h.connect();
    await waitFor(() => s.upgrades.length >= 2, 'reconnect after idle close');
    await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, 'subscribed again');
    s.state.idleTimeoutMs = 60_000;
    s.closeSockets(1011);
    await waitFor(() => s.upgrades.length >= 3 && chatSubs(s) === 1 && s.openSockets() === 1, 'reconnect after 1011');
    const m = s.post('6', 'Kirby', 'hello again');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'message after reconnect');
    assert.equal(h.messages().filter((x) => x.id === m.id).length, 1);
  });

  test('phx_error on control: rejoin and resubscribe once; a stale phx_close is ignored; phx_close rejoins', async () => {
    const s = await server();
    const h = open(s, { session: { backoff: () => new Backoff({ baseMs: 20, capMs: 50 }) } });
    await h.connect();
    const joins = s.counters.joins;
    s.crashControl();
    await waitFor(() => s.counters.joins === joins + 1 && chatSubs(s) === 1, 'rejoined after phx_error');
    s.staleClose();
    await sleep(150);
    assert.equal(s.counters.joins, joins + 1, 'a phx_close with an old join ref is ignored');
    assert.equal(chatSubs(s), 1);
    s.closeControl();
    await waitFor(() => s.counters.joins === joins + 2 && chatSubs(s) === 1, 'rejoined after phx_close');
    await sleep(100);
    assert.equal(chatSubs(s), 1, 'one subscription, never two');
    const m = s.post('6', 'Kirby', 'once');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'the message');
    await sleep(100);
    assert.equal(h.messages().filter((x) => x.id === m.id).length, 1);
    assert.equal(s.upgrades.length, 1, 'the socket itself stayed up');
  });

  test('phx_error and phx_close while the socket stays up: rejoin, resubscribe once, backfill what was posted meanwhile; the late phx_close of the old join is ignored', async () => {
    const s = await server();
    const h = open(s, { session: { backoff: () => new Backoff({ baseMs: 20, capMs: 50 }) } });
    await h.connect();
    const posted = [s.post('6', 'Kirby', 'live before').id];
    await waitFor(() => h.messages().length === 1, 'the first message');
    const ends: [string, () => void][] = [['phx_error', () => s.crashControl()], ['phx_close', () => s.closeControl()]];
    for (const [what, end] of ends) {
      const joins = s.counters.joins;
      end();
      // The channel and its subscriptions are gone on the server: only a backfill brings these.
      for (let i = 0; i < 3; i++) posted.push(s.post('6', i % 2 ? 'TheCat' : 'Kirby', `during ${what} ${i}`).id);
      await waitFor(() => s.counters.joins === joins + 1 && chatSubs(s) === 1, `rejoined after ${what}`);
      posted.push(s.post('6', 'Kirby', `live after ${what}`).id);
      await waitFor(() => h.messages().length >= posted.length, `every message after ${what}`);
    }
    const joins = s.counters.joins;
    s.staleClose(); // the previous join's ref, as the server queues it after a duplicate join (facts §4)
    posted.push(s.post('6', 'Kirby', 'after the stale close').id);
    await waitFor(() => h.messages().length >= posted.length, 'the message after the stale close');
    await sleep(150);
    assert.equal(s.counters.joins, joins, 'the stale phx_close did not make us join again');
    assert.equal(chatSubs(s), 1, 'one chat subscription, never two');
    assert.deepEqual(h.messages().map((m) => m.id), posted, 'each message once, in order');
    assert.ok(!h.events.some((e) => e.type === 'gap'), 'no gap: everything was backfilled');
    assert.equal(s.upgrades.length, 1, 'the socket itself stayed up');
  });

  test('a message pushed right behind the subscribe reply (same read) is delivered, on connect and on /join', async () => {
    const s = await server();
    const first = s.postWithSubscribe('Kirby', 'posted as we subscribed');
    const h = open(s, { profile: { rooms: ['6'] } });
    await h.connect();
    assert.equal(first.length, 1, 'the server posted it with the subscribe reply');
    await waitFor(() => h.messages().some((m) => m.id === first[0]!.id), 'the message of the first subscription');
    const joined = s.postWithSubscribe('Kirby', 'posted as we joined');
    await h.session.joinRoom!('TheCat');
    await waitFor(() => h.messages().some((m) => m.id === joined[0]?.id), 'the message of the /join subscription');
    await sleep(50);
    assert.deepEqual(h.messages().map((m) => m.text), ['posted as we subscribed', 'posted as we joined']);
  });

  test('a push without a reply times out with a clear error; phx_error fails it at once', async () => {
    const s = await server();
    const h = open(s, { session: { pushTimeoutMs: 300 } });
    await h.connect();
    s.state.silentDocs = true;
    await assert.rejects(h.session.send('6', 'lost in space', 't1'), (e: unknown) => e instanceof ChatError && e.code === 'network' && /no reply from Glimesh/.test(e.message));
    const pending = h.session.send('6', 'crash me', 't2');
    await waitFor(() => s.counters.docs >= 3, 'the second doc reached the server');
    s.crashControl();
    await assert.rejects(pending, (e: unknown) => e instanceof ChatError && /phx_error/.test(e.message));
    s.state.silentDocs = false;
    await waitFor(() => chatSubs(s) === 1, 'resubscribed after the crash');
    const ok = await h.session.send('6', 'fine again', 't3');
    assert.equal(ok.text, 'fine again');
  });

  test('a send whose reply is lost is found in the channel instead of failing (no double post on retry)', async () => {
    const s = await server();
    const h = open(s, { session: { pushTimeoutMs: 300 } });
    await h.connect();
    await waitFor(() => h.session.me(), 'our user from myself');
    s.state.dropDocReplies = true;
    const msg = await h.session.send('6', 'did it arrive?', 'txn-lost');
    assert.equal(s.mutations.length, 1);
    assert.equal(msg.id, s.messages.at(-1)!.id);
    assert.equal(msg.txnId, 'txn-lost');
    s.state.silentDocs = true;
    await assert.rejects(h.session.send('6', 'never stored', 'txn-2'), (e: unknown) => e instanceof ChatError && e.code === 'network');
  });

  test('a subscribe without a reply restarts the control channel instead of subscribing twice', async () => {
    const s = await server();
    const h = open(s, { session: { pushTimeoutMs: 250 } });
    await h.connect();
    const joins = s.counters.joins;
    s.state.dropDocReplies = true; // the server subscribes, the reply is lost
    s.crashControl();
    await waitFor(() => s.counters.joins >= joins + 2, 'a restart of the control channel after the lost reply');
    s.state.dropDocReplies = false;
    // `connected` is said per socket (the kit's link); channel joins are counted by the server.
    await waitFor(() => s.counters.joins >= joins + 2 && chatSubs(s) === 1, 'subscribed again');
    await sleep(300);
    assert.equal(chatSubs(s), 1, 'one live subscription on the server');
    assert.equal(s.upgrades.length, 1, 'the socket stayed up: only the channel was restarted');
    const m = s.post('6', 'Kirby', 'exactly once');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'the message');
    await sleep(100);
    assert.equal(h.messages().filter((x) => x.id === m.id).length, 1);
  });

  test('fuzz: 2 × 10,000 random and mutated frames; the heap stays bounded; a valid message arrives after each round', async (t) => {
    const s = await server();
    const h = open(s);
    await h.connect();
    let round = 0;
    const subId = (): string => s.subscriptions().find((x) => x.topic === 'chat:6')?.id ?? 'gone';
    // Valid V2 frames (facts §4): chat pushes with fresh ids, heartbeat replies, replies to unknown refs, other topics.
    const valid = (r: Rng, i: number): unknown => {
      const sub = subId();
      const id = String(10_000_000 + round * 100_000 + i);
      // One in ten from a new user with 20 KB names and no id: the user cache may keep 200 characters, not 20 KB.
      const user = r.int(10)
        ? { id: String(r.int(50)), username: `user${r.int(50)}`, displayname: `User ${r.int(50)}`, avatarUrl: null }
        : { username: `user${round}x${i}${'u'.repeat(20_000)}`, displayname: `User ${round}x${i}${'U'.repeat(20_000)}`, avatarUrl: null };
      const push = (): unknown => [null, null, sub, 'subscription:data', { result: { data: { chatMessage: { id, message: `m ${i}`, insertedAt: '2021-01-08T05:03:44', user } } }, subscriptionId: sub }];
      const roll = r.int(10);
      if (roll < 6) return push();
      if (roll === 6) return [null, String(r.int(1000)), 'phoenix', 'phx_reply', { response: {}, status: 'ok' }];
      if (roll === 7) return [null, String(r.int(1000)), '__absinthe__:control', 'phx_reply', { response: { subscriptionId: `__absinthe__:doc:${r.int(1e6)}` }, status: 'ok' }];
      if (roll === 8) return [null, null, `__absinthe__:doc:${r.int(1e6)}`, 'subscription:data', { result: { data: { chatMessage: { id, message: 'elsewhere' } } }, subscriptionId: 'other' }];
      return [null, null, sub, 'subscription:data', { result: { data: { chatMessage: null }, errors: [{ message: 'boom', path: ['chatMessage'] }] }, subscriptionId: sub }];
    };
    const heap = [await settledHeap()];
    for (round = 1; round <= 2; round++) {
      const counts = await fuzzRound({ seed: 2000 + round, count: 10_000, valid }, (f) => s.pushRaw(f.data, f.binary));
      await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, 'still subscribed');
      const m = s.post('6', 'Kirby', `after round ${round}`);
      await waitFor(() => h.messages().some((x) => x.id === m.id), `the valid message after round ${round}`, 15_000);
      assert.ok(h.messages().length > 1000, `the fuzz's valid frames were parsed (${h.messages().length} messages)`);
      for (const ev of h.messages()) {
        assert.equal(typeof ev.text, 'string');
        assert.ok(!/[\u0000-\u0008\u001b\u009b]/.test(ev.text + ev.author.name), 'no control characters got through');
      }
      const notices = h.events.filter((e) => e.type === 'notice').length;
      assert.ok(notices < 50 && (round > 1 || notices > 0), `bad frames get notices, rate-limited (${notices})`);
      assert.ok(!h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting'), 'no reconnect was needed');
      h.events.length = 0; // the test's copy of the events is not the connector's memory
      heap.push(await settledHeap());
      t.diagnostic(`round ${round}: ${JSON.stringify(counts)}; heap ${toMiB(heap[round - 1]!)} → ${toMiB(heap[round]!)} MiB`);
    }
    assertHeapBounded(heap);
  });

  test('resubscribe after forced drops backfills: 0 lost, 0 duplicated, in order', async () => {
    const s = await server();
    const h = open(s, { session: { backfillPageSize: 7, backfillMaxPages: 200 } });
    await h.connect();
    const posted: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 15; i++) posted.push(s.post('6', i % 2 ? 'Kirby' : 'TheCat', `r${round} m${i}`).id);
      await sleep(5);
      if (round % 3 === 0) s.dropSockets();
      else if (round % 3 === 1) s.closeSockets(1000);
      else s.crashControl();
      // messages while the socket is down: only backfill can bring them
      for (let i = 0; i < 10; i++) posted.push(s.store('6', 'Kirby', `gap r${round} m${i}`).id);
      await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, `resubscribed after round ${round}`);
    }
    for (let i = 0; i < 5; i++) posted.push(s.post('6', 'Kirby', `tail ${i}`).id);
    await waitFor(() => h.messages().length >= posted.length, `all ${posted.length} messages`, 15_000);
    await sleep(200);
    const got = h.messages().map((m) => m.id);
    assert.equal(new Set(got).size, got.length, 'no duplicates');
    assert.deepEqual(got, posted, 'every message once, in order');
    assert.ok(!h.events.some((e) => e.type === 'gap'), 'no gap: everything was backfilled');
  });

  test('proof: 20 forced drops during a 2,000-message stream lose and double nothing', async () => {
    const s = await server();
    const h = open(s, { session: { backfillPageSize: 100 } });
    await h.connect();
    const faults = [() => s.dropSockets(), () => s.closeSockets(1000), () => s.closeSockets(1011), () => s.closeSockets(1001), () => s.crashControl()];
    const posted: string[] = [];
    for (let i = 0; i < 2000; i++) {
      posted.push(s.post('6', i % 3 ? 'Kirby' : 'TheCat', `stream ${i}`).id);
      if (i % 100 === 50) {
        // each fault hits a live subscription (messages keep coming while the client is away)
        await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, `subscribed before fault ${i}`);
        faults[(i / 100) % faults.length | 0]!();
      }
      if (i % 20 === 0) await sleep(3);
    }
    await waitFor(() => chatSubs(s) === 1 && s.openSockets() === 1, 'subscribed at the end');
    const last = s.post('6', 'Kirby', 'the end').id;
    posted.push(last);
    await waitFor(() => h.messages().some((m) => m.id === last), 'the last message', 30_000);
    await sleep(200);
    const got = h.messages().map((m) => m.id);
    assert.ok(s.upgrades.length >= 17, `the socket was replaced after the drops (${s.upgrades.length} upgrades)`);
    assert.equal(new Set(got).size, got.length, '0 duplicated');
    assert.deepEqual(got, posted, '0 lost, in order');
  });
});

describe('glimesh session: HTTP', () => {
  test('a username room resolves case-insensitively to the channel id; unknown names are not_found', async () => {
    const s = await server();
    const h = open(s, { profile: { rooms: ['mYtHo'] } });
    await h.connect();
    assert.deepEqual(h.session.rooms().map((r) => r.id), ['6']);
    const lookups = s.requests.filter((r) => JSON.stringify(r.body).includes('streamerUsername'));
    assert.equal(lookups.length, 1);
    assert.deepEqual((lookups[0]!.body as { variables: unknown }).variables, { username: 'mYtHo' });
    assert.equal((await h.session.resolveRoom!('THECAT')).id, '9');
    await assert.rejects(h.session.resolveRoom!('nobody'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    const bad = open(s, { profile: { rooms: ['nobody'] } });
    await assert.rejects(bad.connect(), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });

  test('history: last N oldest first, one page of at most 1000 per call, paged backwards with before by the core', async () => {
    const s = await server();
    const ids: string[] = [];
    for (let i = 0; i < 1205; i++) ids.push(s.store('6', 'Kirby', `h${i}`, `2021-01-08T05:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`).id);
    const h = open(s);
    await h.connect();
    const ten = await h.session.history!('6', { limit: 10 });
    assert.deepEqual(ten.map((m) => m.id), ids.slice(-10));
    assert.equal(ten[0]!.time, `${s.messages.find((m) => m.id === ids.at(-10))!.insertedAt}.000Z`);
    // One call is one page (the server's cap, facts §6); the core pages for more.
    assert.equal(h.session.capabilities.historyPageSize, 1000);
    const page = await h.session.history!('6', { limit: 1100 });
    assert.deepEqual(page.map((m) => m.id), ids.slice(-1000));
    const big = await pageHistory(h.session, '6', { limit: 1100 });
    assert.deepEqual(big.map((m) => m.id), ids.slice(-1100));
    const all = await pageHistory(h.session, '6', { limit: 5000 });
    assert.deepEqual(all.map((m) => m.id), ids, 'the whole history once it ends');
    const older = await h.session.history!('6', { limit: 50, before: ids.at(-10)! });
    assert.deepEqual(older.map((m) => m.id), ids.slice(-60, -10));
    const pages = s.requests.filter((r) => JSON.stringify(r.body).includes('chatMessages'));
    assert.ok(pages.every((r) => ((r.body as { variables: { last: number } }).variables.last ?? 0) <= 1000), 'never more than 1000 per page');
    // a `before` id that was never paged: found by reading back
    const h2 = open(s);
    await h2.connect();
    const older2 = await h2.session.history!('6', { limit: 5, before: ids[100]! });
    assert.deepEqual(older2.map((m) => m.id), ids.slice(95, 100));
  });

  test('send over the socket: verbatim text through variables, server copy with txnId, pushed once', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    const text = 'He said "hi" \\ back\\slash {"json": true} $var 😀\nsecond';
    const msg = await h.session.send('6', text, 'txn-1');
    assert.equal(s.mutations.length, 1);
    assert.equal(s.mutations[0]!.via, 'socket');
    assert.equal(s.mutations[0]!.text, text);
    assert.equal(msg.text, text);
    assert.equal(msg.txnId, 'txn-1');
    assert.equal(msg.id, s.messages.at(-1)!.id);
    assert.equal(msg.author.name, 'AFaithfulServant');
    await waitFor(() => h.messages().some((m) => m.id === msg.id), 'the pushed copy');
    await sleep(50);
    assert.equal(h.messages().filter((m) => m.id === msg.id).length, 1);
    const doc = docFrames(s).find((d) => String((d[4] as { query: string }).query).includes('createChatMessage'))!;
    assert.ok(!String((doc[4] as { query: string }).query).includes('hi'), 'the text is not in the document');
  });

  test('the live copy of our send that arrives before the reply carries the txnId (the kit\'s pending sends)', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    await waitFor(() => h.session.me(), 'our user from myself');
    s.state.docReplyDelayMs = 200;
    const sent = await h.session.send('6', 'ahead of the reply', 'txn-early');
    const live = await waitFor(() => h.messages().find((m) => m.id === sent.id), 'the live copy');
    assert.ok(h.events.indexOf(live) >= 0);
    assert.equal(live.txnId, 'txn-early', 'the pushed copy, though it came first, is known as ours');
    assert.equal(sent.txnId, 'txn-early');
    assert.equal(h.messages().filter((m) => m.id === sent.id).length, 1);
  });

  test('while the server is gone, each reconnecting says why it cannot be reached, not a bare close code', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    const reasons = (): string[] => h.events.flatMap((e) => (e.type === 'connection' && e.state === 'reconnecting' ? [e.reason ?? ''] : []));
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    // Each failed attempt ends with an abnormal close (1006) and an ECONNREFUSED error: the error's
    // words win over the bare close code, whichever of the two comes first.
    const refused = /^could not reach Glimesh: connection refused/;
    await waitFor(() => reasons().filter((r) => refused.test(r)).length >= 3, 'three reasons in network words');
    const after = reasons().slice(reasons().findIndex((r) => refused.test(r)));
    assert.ok(after.every((r) => refused.test(r)), JSON.stringify(reasons()));
    // The first failure of the outage is one error; the retries are only connection events.
    const errors = h.events.filter((e) => e.type === 'error');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]!.type === 'error' ? errors[0]!.message : '', refused);
  });

  test('reconnect now: the wait is skipped (0 ms) and the socket comes back subscribed', async () => {
    const s = await server();
    const h = open(s, { session: { backoff: () => new Backoff({ baseMs: 20_000, capMs: 20_000, random: () => 0.99 }) } });
    await h.connect();
    s.dropSockets();
    const waiting = await waitFor(() => h.events.find((e) => e.type === 'connection' && e.state === 'reconnecting'), 'reconnecting');
    assert.ok(waiting.type === 'connection' && Date.parse(waiting.retryAt ?? '') - Date.now() > 10_000, 'a long wait was announced');
    const asked = Date.now();
    h.session.reconnectNow();
    await waitFor(() => s.upgrades.length === 2 && chatSubs(s) === 1, 'a new socket, subscribed', 5000);
    assert.ok(Date.now() - asked < 5000, 'without waiting for the backoff');
    const m = s.post('6', 'Kirby', 'after reconnect now');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'the message on the new socket');
  });

  test('a catch-up that cannot reach back to the last message seen says gap, and delivers what it read once, in order', async () => {
    const s = await server();
    const h = open(s, { session: { backfillPageSize: 5, backfillMaxPages: 2 } });
    await h.connect();
    const first = s.post('6', 'Kirby', 'seen live');
    await waitFor(() => h.messages().length === 1, 'the live message');
    s.dropSockets();
    const missed: string[] = [];
    for (let i = 0; i < 30; i++) missed.push(s.store('6', 'Kirby', `missed ${i}`).id);
    await waitFor(() => h.events.some((e) => e.type === 'gap' && e.room === '6'), 'a gap');
    await waitFor(() => h.messages().length >= 11, 'the pages read');
    const got = h.messages().map((m) => m.id);
    assert.deepEqual(got, [first.id, ...missed.slice(-10)], 'two pages of 5 after the live one, each once, in order');
    assert.equal(h.events.filter((e) => e.type === 'gap').length, 1);
  });

  test('send over HTTP when the socket is down', async () => {
    const s = await server();
    const h = open(s, { session: { backoff: () => new Backoff({ baseMs: 5000, capMs: 5000, random: () => 1 }) } });
    await h.connect();
    s.dropSockets();
    await waitFor(() => h.events.some((e) => e.type === 'connection' && e.state === 'reconnecting'), 'reconnecting');
    const msg = await h.session.send('6', 'over http', 'txn-2');
    assert.equal(s.mutations.at(-1)!.via, 'http');
    assert.equal(msg.text, 'over http');
    const req = s.requests.filter((r) => r.path === '/api/graph').at(-1)!;
    assert.equal(req.authorization, `Bearer ${s.token}`);
  });

  test('refusals carry the server text; local limits refuse before sending', async () => {
    const s = await server();
    const h = open(s, { profile: { rooms: ['6', '9'] } });
    await h.connect();
    s.ban('6', 'AFaithfulServant');
    await assert.rejects(h.session.send('6', 'hi', 't'), (e: unknown) => e instanceof ChatError && e.code === 'forbidden' && e.message === 'You are permanently banned from this channel.');
    s.ban('6', 'AFaithfulServant', 3);
    await assert.rejects(h.session.send('6', 'hi', 't'), (e: unknown) => e instanceof ChatError && /banned from this channel for 3 more minutes/.test(e.message));
    await assert.rejects(h.session.send('9', 'see https://x.invalid', 't'), (e: unknown) => e instanceof ChatError && e.message === 'This channel has links disabled!');
    const before = s.mutations.length;
    await assert.rejects(h.session.send('9', 'x'.repeat(256), 't'), (e: unknown) => e instanceof ChatError && /too long/.test(e.message));
    await assert.rejects(h.session.send('9', '   ', 't'), ChatError);
    assert.equal(s.mutations.length, before, 'local checks never reach the server');
    await h.session.send('9', '😀'.repeat(255), 't-ok');
    s.addToken('no-chat', 'Kirby', 'public');
    const ro = open(s, { token: 'no-chat' });
    await ro.connect();
    await assert.rejects(ro.session.send('6', 'hi', 't'), (e: unknown) => e instanceof ChatError && e.code === 'auth' && /chat/.test(e.message));
  });

  test('a client-id profile reads but is read-only and never calls createChatMessage', async () => {
    const s = await server();
    const h = open(s, { token: null, profile: { clientId: '1b3c3f0e-5d1a-4c8e-9b7a-2f6d8e4c1a90' } });
    assert.equal(h.session.capabilities.readOnly, true);
    assert.match(h.session.capabilities.readOnlyReason ?? '', /client id/);
    assert.equal(h.session.capabilities.moderation, false);
    await h.connect();
    assert.equal(s.upgrades[0]!.query.client_id, s.clientId);
    assert.equal(s.upgrades[0]!.query.token, undefined);
    assert.ok(s.requests.every((r) => r.authorization === `Client-ID ${s.clientId}`));
    const m = s.post('6', 'Kirby', 'read me');
    await waitFor(() => h.messages().some((x) => x.id === m.id), 'live message');
    await assert.rejects(h.session.send('6', 'may I?', 't'), (e: unknown) => e instanceof ChatError && e.code === 'read_only');
    assert.equal(s.mutations.length, 0);
  });

  test('room events: title and LIVE/OFFLINE from the channel subscription', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    s.setLive('6', true, 'Speedruns');
    await waitFor(() => h.events.some((e) => e.type === 'room' && e.live === true && e.topic === 'Speedruns'), 'live room event');
    assert.ok(h.events.some((e) => e.type === 'notice' && /Mytho is live: Speedruns/.test(e.text)));
    assert.equal(h.session.rooms()[0]!.live, true);
    s.setLive('6', false);
    await waitFor(() => h.events.some((e) => e.type === 'notice' && /went offline/.test(e.text)), 'offline notice');
  });

  test('follow messages are system messages', async () => {
    const s = await server();
    const h = open(s);
    await h.connect();
    s.post('6', 'Kirby', ' just followed the stream!', { isFollowedMessage: true });
    const [m] = await waitFor(() => (h.messages().length ? h.messages() : undefined), 'follow message');
    assert.equal(m!.kind, 'system');
    assert.equal(m!.text, 'Kirby just followed the stream!');
  });

  test('moderation: the owner can ban/unban/timeout/delete; others get a clear refusal', async () => {
    const s = await server();
    s.addToken('owner', 'Mytho', 'public chat');
    const owner = open(s, { token: 'owner' });
    await owner.connect();
    assert.equal(owner.session.capabilities.moderation, true);
    await owner.session.moderate!('6', { kind: 'ban', user: 'kirby' });
    assert.throws(() => s.post('6', 'Kirby', 'x'), /permanently banned/);
    await owner.session.moderate!('6', { kind: 'unban', user: 'Kirby' });
    s.post('6', 'Kirby', 'back');
    await owner.session.moderate!('6', { kind: 'timeout', user: 'Kirby' });
    assert.throws(() => s.post('6', 'Kirby', 'x'), /5 more minutes/);
    const target = s.messages.at(-1)!;
    await owner.session.moderate!('6', { kind: 'delete', messageId: target.id });
    assert.ok(owner.events.some((e) => e.type === 'message.delete' && e.id === target.id));
    const other = open(s);
    await other.connect();
    await assert.rejects(other.session.moderate!('6', { kind: 'ban', user: 'Kirby' }), (e: unknown) => e instanceof ChatError && e.code === 'forbidden' && /unauthorized/.test(e.message));
    await assert.rejects(other.session.moderate!('6', { kind: 'ban', user: 'nobody-here' }), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  });

  test('login: client credentials grant, then the token works; expired tokens are renewed', async () => {
    const s = await server();
    s.addApp('app-1', 'secret-1', 'AFaithfulServant', 3600);
    const lines: string[] = [];
    const patch = await definition.login!({ name: 'g', service: 'glimesh', url: s.url }, { clientId: 'app-1', clientSecret: 'secret-1', say: (l) => lines.push(l), signal: new AbortController().signal });
    assert.ok(patch.token?.startsWith('glm-issued-'));
    assert.ok(patch.tokenIssuedAt && patch.tokenExpiresAt);
    assert.ok(Math.abs(Date.parse(patch.tokenExpiresAt!) - Date.now() - 3600_000) < 10_000);
    const grant = s.requests.find((r) => r.path === '/api/oauth/token')!;
    assert.equal((grant.body as Record<string, string>).scope, 'public chat');
    assert.equal((grant.body as Record<string, string>).grant_type, 'client_credentials');
    assert.ok(!lines.join('\n').includes('secret-1'));
    await assert.rejects(
      definition.login!({ name: 'g', service: 'glimesh', url: s.url }, { clientId: 'app-1', clientSecret: 'wrong', say: () => {}, signal: new AbortController().signal }),
      (e: unknown) => e instanceof ChatError && e.code === 'auth' && !e.message.includes('wrong'),
    );
    // an expired stored token is renewed before connecting and saved
    const h = open(s, { token: 'stale-token', profile: { clientId: 'app-1', clientSecret: 'secret-1', tokenExpiresAt: new Date(Date.now() - 1000).toISOString() } });
    await h.connect();
    assert.ok(h.saved.some((p) => p.token?.startsWith('glm-issued-')));
    assert.ok(s.upgrades.every((u) => u.status === 101));
    const msg = await h.session.send('6', 'renewed', 't');
    assert.equal(msg.author.name, 'AFaithfulServant');
  });

  test('a 403 on an expired-looking token with credentials renews instead of failing', async () => {
    const s = await server();
    s.addApp('app-2', 'secret-2', 'Kirby', 3600);
    const h = open(s, { token: 'revoked', profile: { clientId: 'app-2', clientSecret: 'secret-2', tokenExpiresAt: new Date(Date.now() + 3600_000).toISOString() } });
    await h.connect();
    assert.deepEqual(s.upgrades.map((u) => u.status), [403, 101]);
    assert.ok(h.saved.length === 1);
  });
});

after(async () => {
  for (const s of servers.splice(0)) await s.close();
});
