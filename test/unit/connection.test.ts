import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import {
  BoundedSet,
  CatchUp,
  NoticeThrottle,
  PendingSends,
  ReconnectingLink,
  SafeEmitter,
  guardFrame,
  openWebSocket,
  pageBack,
  readByPaging,
  type LinkAttempt,
  type LinkEnd,
} from '../../src/core/connection/index.js';
import { capabilitiesOf } from '../../src/core/connector.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent } from '../../src/core/events.js';
import { Backoff } from '../../src/core/reconnect.js';

/**
 * The connection kit's policies, once: backoff and retryAt, the first failure said once, reconnect now
 * (0 ms), protocol/policy close codes, liveness, catch-up (hold, merge by id, gap), pending sends, the
 * bounded id set, notices, the emit guard and the WebSocket options. Each connector tests the same
 * policies again through its own test server.
 */

async function waitFor<T>(fn: () => T | undefined | false | null, what: string, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Script = (a: LinkAttempt, n: number) => void;

/** A link whose attempts follow `script` (attempt number → what the "server" does). */
function scripted(script: Script, opts: { backoff?: Backoff; liveness?: { idleMs: number } } = {}) {
  const events: ConnectorEvent[] = [];
  const attempts: LinkAttempt[] = [];
  let terminated = 0;
  const link = new ReconnectingLink({
    emit: (e) => events.push(e),
    room: 'r1',
    backoff: opts.backoff ?? new Backoff({ baseMs: 10, capMs: 40 }),
    ...(opts.liveness ? { liveness: opts.liveness } : {}),
    open: (a) => {
      attempts.push(a);
      queueMicrotask(() => script(a, a.number));
      return {
        close: () => a.end({ code: 1000 }),
        terminate: () => {
          terminated++;
          a.end({ code: 1006 });
        },
      };
    },
  });
  return { link, events, attempts, terminated: () => terminated };
}

const states = (events: ConnectorEvent[]): string[] => events.flatMap((e) => (e.type === 'connection' ? [e.state] : []));
const refused = (): LinkEnd => ({ error: new ChatError('network', 'connection refused') });

describe('ReconnectingLink', () => {
  it('connecting → reconnecting (reason, retryAt within the backoff) → connected; ready resolves once', async () => {
    const t = scripted((a, n) => (n < 3 ? a.end(refused()) : a.up()));
    const t0 = Date.now();
    t.link.start();
    await t.link.ready;
    assert.deepEqual(states(t.events), ['connecting', 'reconnecting', 'reconnecting', 'connected']);
    for (const e of t.events) if (e.type === 'connection' && e.state === 'reconnecting') {
      assert.equal(e.reason, 'connection refused');
      assert.equal(e.room, 'r1');
      const at = Date.parse(e.retryAt ?? '');
      assert.ok(at >= t0 && at <= Date.now() + 40, `retryAt ${e.retryAt}`);
    }
    t.link.stop();
  });

  it('says the first failure of an outage once, not once per retry', async () => {
    const t = scripted((a, n) => (n < 5 ? a.end(refused()) : a.up()));
    t.link.start();
    await t.link.ready;
    assert.equal(t.events.filter((e) => e.type === 'error').length, 1);
    assert.equal(states(t.events).filter((s) => s === 'reconnecting').length, 4);
    t.link.stop();
  });

  it('a failure that is not retryable fails the link: error, failed, ready rejects, no retry', async () => {
    const t = scripted((a) => a.end({ error: new ChatError('auth', 'token refused', { retryable: false }) }));
    t.link.start();
    await assert.rejects(t.link.ready, /token refused/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(t.attempts.length, 1);
    assert.deepEqual(states(t.events), ['connecting', 'failed']);
    assert.equal(t.link.state, 'failed');
  });

  it('reconnect now: 0 ms, during a wait and while connected; the backoff starts again', async () => {
    const t = scripted((a, n) => (n === 1 ? a.end(refused()) : a.up()), { backoff: new Backoff({ baseMs: 60_000, capMs: 60_000, random: () => 0.99 }) });
    t.link.start();
    await waitFor(() => t.link.state === 'reconnecting', 'a long wait');
    const t0 = Date.now();
    t.link.reconnectNow();
    await t.link.ready;
    assert.ok(Date.now() - t0 < 1000, 'the wait was cut short');
    t.link.reconnectNow(); // connected: dropped and opened again with no wait
    await waitFor(() => t.attempts.length === 3 && t.link.state === 'connected', 'a third attempt');
    assert.equal(t.terminated(), 1);
    const last = t.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').at(-1);
    assert.ok(last?.type === 'connection' && Date.parse(last.retryAt ?? '') <= Date.now(), 'retryAt is now (0 ms)');
    t.link.stop();
  });

  it('reconnect now asked while an attempt is still opening (REST first) is done once that connection is up', async () => {
    const events: ConnectorEvent[] = [];
    const attempts: LinkAttempt[] = [];
    const link = new ReconnectingLink({
      emit: (e) => events.push(e),
      backoff: new Backoff({ baseMs: 60_000, capMs: 60_000, random: () => 0.5 }),
      open: async (a) => {
        attempts.push(a);
        await new Promise((r) => setTimeout(r, 30)); // e.g. a token refresh before the socket
        setTimeout(() => a.up(), 5);
        return { close: () => a.end({ code: 1000 }), terminate: () => a.end({ code: 1006 }) };
      },
    });
    link.start();
    link.reconnectNow(); // nothing to drop yet
    await link.ready;
    attempts[0]!.end({ code: 1006 }); // a drop later on
    await waitFor(() => link.state === 'reconnecting', 'waiting');
    const rc = events.filter((e) => e.type === 'connection' && e.state === 'reconnecting').at(-1);
    assert.ok(rc?.type === 'connection' && Date.parse(rc.retryAt ?? '') - Date.now() > 10_000, 'the backoff applies, not 0 ms');
    link.stop();
  });

  it('close codes 1002/1003/1007/1008 wait the cap, say the server reason, and fail (protocol) after 3 in a row', async () => {
    const t = scripted((a) => a.end({ code: 1008, reason: 'policy: bad frame' }), { backoff: new Backoff({ baseMs: 1, capMs: 30, random: () => 0 }) });
    t.link.start();
    await assert.rejects(t.link.ready, (e: unknown) => e instanceof ChatError && e.code === 'protocol');
    assert.equal(t.attempts.length, 3, 'stopped after 3 such closes');
    const waits = t.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.equal(waits.length, 2);
    for (const w of waits) assert.match(w.type === 'connection' ? (w.reason ?? '') : '', /1008 policy violation: policy: bad frame/);
    const failed = t.events.find((e) => e.type === 'connection' && e.state === 'failed');
    assert.match(failed?.type === 'connection' ? (failed.reason ?? '') : '', /gave up after 3/);
    assert.ok(t.events.some((e) => e.type === 'error' && e.code === 'protocol'));
  });

  it('a protocol close between good connections does not count towards the limit; a random 0 still waits the cap', async () => {
    const codes = [1002, 1000, 1003, 1000, 1007, 1000];
    const times: number[] = [];
    const t = scripted((a, n) => {
      times.push(Date.now());
      if (n <= codes.length) a.end({ code: codes[n - 1]! });
      else a.up();
    }, { backoff: new Backoff({ baseMs: 1, capMs: 40, random: () => 0 }) });
    t.link.start();
    await t.link.ready;
    assert.equal(t.attempts.length, 7);
    assert.ok(times[1]! - times[0]! >= 35, `waited the cap after 1002 (${times[1]! - times[0]!} ms)`);
    t.link.stop();
  });

  it('liveness: a connection with no sign of life is dropped and reconnected with the reason', async () => {
    const t = scripted((a) => {
      a.watch();
      a.up();
    }, { liveness: { idleMs: 40 } });
    t.link.start();
    await waitFor(() => t.attempts.length >= 2, 'a second attempt');
    const rc = t.events.find((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.match(rc?.type === 'connection' ? (rc.reason ?? '') : '', /no frames/);
    t.link.stop();
  });

  it('stop(): offline, no more attempts, ready rejects when it never connected', async () => {
    const t = scripted((a) => a.end(refused()), { backoff: new Backoff({ baseMs: 60_000, capMs: 60_000, random: () => 0.5 }) });
    t.link.start();
    await waitFor(() => t.link.state === 'reconnecting', 'waiting');
    t.link.stop(true);
    await assert.rejects(t.link.ready);
    assert.equal(states(t.events).at(-1), 'offline');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(t.attempts.length, 1);
  });
});

interface M {
  id: string;
  time: string;
}
const m = (i: number): M => ({ id: `m${i}`, time: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() });

describe('CatchUp', () => {
  it('holds live messages while reading back, merges by id, delivers each once in order', async () => {
    const out: string[] = [];
    let gaps = 0;
    const c = new CatchUp<M>({ deliver: (x) => out.push(x.id), gap: () => gaps++, failed: () => {} });
    c.live(m(1));
    let release!: () => void;
    const read = new Promise<void>((r) => (release = r));
    const p = c.catchUp(async () => {
      await read;
      return { messages: [m(2), m(3), m(4)], reached: true };
    }, new AbortController().signal);
    c.live(m(4)); // arrived live during the read, and is in the read too
    c.live(m(5));
    assert.deepEqual(out, ['m1'], 'held while catching up');
    release();
    await p;
    assert.deepEqual(out, ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.equal(gaps, 0);
    assert.equal((c.anchor as M).id, 'm5');
    c.live(m(3));
    assert.deepEqual(out.length, 5, 'a known id is not delivered again');
  });

  it('no history (no reader) is a gap; a read that fails is a notice and a gap, and the held messages still come', async () => {
    const out: string[] = [];
    const said: string[] = [];
    let gaps = 0;
    const c = new CatchUp<M>({ deliver: (x) => out.push(x.id), gap: () => gaps++, failed: (w) => said.push(w) });
    await c.catchUp(undefined, new AbortController().signal);
    assert.equal(gaps, 1);
    const p = c.catchUp(async () => {
      throw new ChatError('network', 'history unreachable');
    }, new AbortController().signal);
    c.live(m(7));
    await p;
    assert.equal(gaps, 2);
    assert.deepEqual(said, ['history unreachable']);
    assert.deepEqual(out, ['m7']);
  });

  it('a catch-up overtaken by drop() delivers nothing; the hold is bounded', async () => {
    const out: string[] = [];
    const c = new CatchUp<M>({ deliver: (x) => out.push(x.id), gap: () => {}, failed: () => {}, maxHeld: 2 });
    const p = c.catchUp(async () => ({ messages: [m(1)], reached: true }), new AbortController().signal);
    assert.equal(c.live(m(2)), true);
    assert.equal(c.live(m(3)), true);
    assert.equal(c.live(m(4)), false, 'the hold is full');
    c.drop();
    await p;
    assert.deepEqual(out, []);
  });

  it('readByPaging pages back to the anchor; anchor not reached → gap; no anchor → gap and a baseline', async () => {
    const history = Array.from({ length: 250 }, (_, i) => m(i + 1));
    const page = async (before: string | undefined, limit: number): Promise<M[]> => {
      const end = before === undefined ? history.length : history.findIndex((x) => x.id === before);
      return history.slice(Math.max(0, end - limit), end);
    };
    const out: string[] = [];
    let gaps = 0;
    const c = new CatchUp<M>({ deliver: (x) => out.push(x.id), gap: () => gaps++, failed: () => {} });
    const signal = new AbortController().signal;
    await c.catchUp(readByPaging(page, 100, 5), signal);
    assert.equal(gaps, 1, 'no anchor: a gap');
    assert.deepEqual(out, []);
    assert.equal((c.anchor as M).id, 'm250', 'the newest message is the baseline');
    history.push(...Array.from({ length: 130 }, (_, i) => m(251 + i)));
    await c.catchUp(readByPaging(page, 100, 5), signal);
    assert.equal(gaps, 1);
    assert.equal(out.length, 130);
    assert.equal(out[0], 'm251');
    history.push(...Array.from({ length: 300 }, (_, i) => m(381 + i)));
    await c.catchUp(readByPaging(page, 100, 2), signal);
    assert.equal(gaps, 2, 'the anchor is beyond the page budget: a gap');
  });

  it('pageBack stops at `want`, and a server that ignores the cursor does not loop', async () => {
    const history = Array.from({ length: 50 }, (_, i) => m(i + 1));
    let calls = 0;
    const r = await pageBack<M>({ page: async () => (calls++, history.slice(-20)), pageSize: 20, maxPages: 10, want: 45 });
    assert.equal(calls, 2, 'the second answer held the cursor: paging stopped');
    assert.equal(r.messages.length, 20);
    const ok = await pageBack<M>({
      page: async (before, limit) => {
        const end = before === undefined ? history.length : history.findIndex((x) => x.id === before);
        return history.slice(Math.max(0, end - limit), end);
      },
      pageSize: 20,
      maxPages: 10,
      want: 45,
    });
    assert.deepEqual(ok.messages.map((x) => x.id), history.slice(-45).map((x) => x.id));
  });
});

describe('PendingSends', () => {
  const copy = (id: string, text: string, author = 'me', room = 'r') => ({ type: 'message' as const, id, room, text, time: m(1).time, author: { id: author, name: author } });

  it('a copy confirmed by the server carries the txnId, and so does its later live copy', () => {
    const p = new PendingSends();
    assert.equal(p.confirmed(copy('5', 'hi'), 't1').txnId, 't1');
    assert.equal(p.match(copy('5', 'hi')).txnId, 't1');
    assert.equal(p.match(copy('6', 'hi')).txnId, undefined);
  });

  it('an echo-confirmed send: the oldest pending of the same room and text, by us; time-out rejects', async () => {
    const p = new PendingSends(() => 'me');
    const a = p.awaitEcho('r', 'hi', 'ta', 5000, () => new ChatError('protocol', 'no echo'));
    const b = p.awaitEcho('r', 'hi', 'tb', 5000, () => new ChatError('protocol', 'no echo'));
    assert.equal(p.match(copy('1', 'hi', 'someone else')).txnId, undefined, 'another user');
    assert.equal(p.match(copy('2', 'hi', 'me', 'other room')).txnId, undefined, 'another room');
    assert.equal(p.match(copy('3', 'hi')).txnId, 'ta');
    assert.equal(p.match(copy('4', 'hi')).txnId, 'tb');
    assert.equal((await a.promise).id, '3');
    assert.equal((await b.promise).id, '4');
    assert.equal(p.match(copy('3', 'hi')).txnId, 'ta', 'a later copy of the echo keeps the txnId');
    const c = p.awaitEcho('r', 'late', 'tc', 20, () => new ChatError('protocol', 'no echo'));
    await assert.rejects(c.promise, /no echo/);
    const d = p.awaitEcho('r', 'x', 'td', 5000, () => new ChatError('protocol', 'no echo'));
    p.failAll(new ChatError('network', 'closed'));
    await assert.rejects(d.promise, /closed/);
    assert.equal(p.awaiting, false);
  });
});

describe('PendingSends.send', () => {
  const copy = (id: string, text: string, author = 'me') => ({ type: 'message' as const, id, room: 'r', text, time: m(1).time, author: { id: author, name: author } });

  it('a live copy that arrives before the server answers the send carries the txnId; the answer resolves it', async () => {
    const p = new PendingSends(() => 'me');
    let answer!: (c: ReturnType<typeof copy>) => void;
    const sent = p.send('r', 'hi', 't1', () => new Promise((r) => (answer = r)), { answers: true });
    assert.equal(p.match(copy('9', 'hi')).txnId, 't1', 'the live copy came first');
    answer(copy('9', 'hi'));
    assert.equal((await sent).txnId, 't1');
    assert.equal(p.awaiting, false);
  });

  it('a service with no ack resolves on the echo (texts compared sanitised); a failed post rejects and forgets the send', async () => {
    const p = new PendingSends(() => 'me');
    const sent = p.send('r', 'a\u001b[31mb', 't2', async () => undefined, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(p.match(copy('3', 'ab')).txnId, 't2');
    assert.equal((await sent).id, '3');
    await assert.rejects(p.send('r', 'x', 't3', async () => Promise.reject(new ChatError('network', 'socket broke'))), /socket broke/);
    assert.equal(p.awaiting, false);
    assert.equal(p.match(copy('4', 'x')).txnId, undefined);
  });

  it('a send whose reply never came resolves with its copy when the copy came in (the server has it: no resend)', async () => {
    const p = new PendingSends(() => 'me');
    let fail!: (e: Error) => void;
    const sent = p.send('r', 'once', 't5', () => new Promise((_, reject) => (fail = reject)), { answers: true });
    p.match(copy('8', 'once'));
    fail(new ChatError('network', 'no reply'));
    assert.equal((await sent).id, '8');
  });

  it('without our user id, a service that answers never text-matches (someone else may post the same text)', async () => {
    const p = new PendingSends(() => undefined);
    let answer!: (c: ReturnType<typeof copy>) => void;
    const sent = p.send('r', 'hi', 't4', () => new Promise((r) => (answer = r)), { answers: true });
    assert.equal(p.match(copy('5', 'hi', 'someone')).txnId, undefined);
    answer(copy('6', 'hi', 'me'));
    assert.equal((await sent).txnId, 't4');
  });
});

describe('small parts', () => {
  it('BoundedSet keeps at least `limit`, at most 2 × limit ids', () => {
    const s = new BoundedSet(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(s.add(id), true);
    assert.equal(s.add('c'), false);
    assert.ok(s.size <= 6);
    for (const id of ['f', 'g', 'h', 'i']) s.add(id);
    assert.equal(s.has('a'), false);
    assert.equal(s.has('h'), true);
  });

  it('BoundedSet stays within 2 × limit when old ids keep coming back', () => {
    const s = new BoundedSet(100);
    let max = 0;
    const add = (id: string): void => {
      s.add(id);
      max = Math.max(max, s.size);
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 99; i++) add(`r${round}-${i}`); // new ids
      for (let i = 0; i < 99; i++) add(`r${round - 1}-${i}`); // the older generation's ids, again
    }
    assert.ok(max <= 200, `${max}`);
  });

  it('NoticeThrottle: one per kind and room per interval, then the count of the held-back ones', () => {
    let now = 0;
    const said: string[] = [];
    const n = new NoticeThrottle((t, r) => said.push(`${r ?? '-'} ${t}`), 10_000, () => now);
    for (let i = 0; i < 5; i++) n.notice('bad', 'bad frame', 'r1');
    n.notice('bad', 'bad frame', 'r2');
    now = 10_000;
    n.notice('bad', 'bad frame', 'r1');
    assert.deepEqual(said, ['r1 bad frame', 'r2 bad frame', 'r1 bad frame (and 4 more like it)']);
  });

  it('SafeEmitter drops events after close and survives a throwing listener; guardFrame catches a frame that throws', () => {
    const got: ConnectorEvent[] = [];
    const e = new SafeEmitter((ev) => {
      got.push(ev);
      throw new Error('listener bug');
    });
    e.emit({ type: 'gap', room: 'r' });
    e.close();
    e.emit({ type: 'gap', room: 'r' });
    assert.equal(got.length, 1);
    let crashed = 0;
    guardFrame(() => JSON.parse('{'), () => crashed++);
    assert.equal(crashed, 1);
  });

  it('capabilitiesOf: a method capability is true exactly when the method exists, unless turned off', () => {
    const traits = { typingReceive: false, presence: false, edits: false, readOnly: false, atMentions: false };
    const caps = capabilitiesOf({ history() {}, setTyping() {}, joinRoom() {}, partRoom() {} }, traits, { typingSend: false });
    assert.deepEqual(
      [caps.history, caps.typingSend, caps.join, caps.dms, caps.roomListing, caps.moderation],
      [true, false, true, false, false, false],
    );
  });

  it('openWebSocket never offers permessage-deflate, also to a server that wants it', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: true });
    const offered: (string | undefined)[] = [];
    wss.on('connection', (_ws, req) => offered.push(req.headers['sec-websocket-extensions']));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const ws = openWebSocket(`ws://127.0.0.1:${port}/`);
    try {
      await new Promise((r) => ws.once('open', r));
      await waitFor(() => offered.length === 1, 'the handshake');
      assert.ok(!/permessage-deflate/.test(offered[0] ?? ''), `Sec-WebSocket-Extensions: ${offered[0]}`);
      assert.equal(ws.extensions, '');
    } finally {
      ws.terminate();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close();
    }
  });
});
