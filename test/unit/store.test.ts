import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Capabilities } from '../../src/core/connector.js';
import type { ChatEvent, MessageEvent } from '../../src/core/events.js';
import { roomKey } from '../../src/core/state.js';
import { compareIds, NOTICE_CAP, SessionStore } from '../../src/core/store/index.js';

const CAPS: Capabilities = {
  history: true,
  typingSend: true,
  typingReceive: true,
  presence: true,
  edits: true,
  roomListing: true,
  dms: false,
  join: false,
  readOnly: false,
  moderation: false,
  atMentions: true,
};

const P = 'work';
const R = 'general';
const K = roomKey(P, R);

function msg(id: string, time: string | number, text = `text ${id}`, author = { id: 'u2', name: 'Jane' }, extra: Partial<MessageEvent> = {}): MessageEvent {
  const t = typeof time === 'number' ? new Date(time).toISOString() : time;
  return { type: 'message', profile: P, room: R, id, author, text, time: t, ...extra };
}

function setup(opts: { scrollbackLimit?: number; history?: boolean; now?: () => number; typingTtlMs?: number } = {}): SessionStore {
  const s = new SessionStore({ notifyIntervalMs: 0, ...opts });
  s.addProfile(P, 'chatapi', { ...CAPS, history: opts.history ?? true });
  s.setMe(P, { id: 'me1', name: 'Alice' });
  s.addRoom(P, { id: R, name: 'General' });
  return s;
}

/** Polls `cond` until true (fails after 10 s): no assertion on how fast timers fire. */
async function waitUntil(cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function ids(s: SessionStore, key = K): string[] {
  return s.getState().rooms[key]!.messages.map((m) => m.id);
}

describe('SessionStore ordering and dedupe', () => {
  it('orders by server time, then id, whatever the arrival order', () => {
    const s = setup();
    s.apply(msg('3', 3000));
    s.apply(msg('1', 1000));
    s.apply(msg('b', 2000));
    s.apply(msg('a', 2000));
    s.apply(msg('0', 500));
    assert.deepEqual(ids(s), ['0', '1', 'a', 'b', '3']);
  });

  it('compares all-digit ids numerically (9 before 10) and others by code unit', () => {
    assert.ok(compareIds('9', '10') < 0);
    assert.ok(compareIds('10', '9') > 0);
    assert.ok(compareIds('007', '7') !== 0, 'distinct ids never tie');
    assert.ok(compareIds('a', 'b') < 0);
    const s = setup();
    const t = '2024-01-01T00:00:00.000Z';
    for (const id of ['10', '9', '100', '2']) s.apply(msg(id, t));
    assert.deepEqual(ids(s), ['2', '9', '10', '100']);
  });

  it('keeps a message once: a second copy updates in place and is not new', () => {
    const s = setup();
    assert.equal(s.apply(msg('1', 1000, 'hello')).isNew, true);
    const before = s.getState().rooms[K]!.messages[0]!;
    assert.equal(s.apply(msg('1', 1000, 'hello')).isNew, false);
    assert.equal(ids(s).length, 1);
    assert.equal(s.getState().rooms[K]!.messages[0], before, 'an identical copy changes nothing');
    assert.equal(s.apply(msg('1', 1000, 'hello again')).isNew, false);
    const after = s.getState().rooms[K]!.messages[0]!;
    assert.equal(after.text, 'hello again');
    assert.equal(after.rev, before.rev + 1);
    assert.deepEqual(ids(s), ['1']);
  });

  it('repositions a message whose second copy has another time', () => {
    const s = setup();
    s.apply(msg('1', 1000));
    s.apply(msg('2', 2000));
    s.apply(msg('1', 3000));
    assert.deepEqual(ids(s), ['2', '1']);
  });

  it('handles 100k messages in order, with a duplicate backfill, quickly enough to not time out', () => {
    const s = setup({ scrollbackLimit: 200_000 });
    const base = Date.parse('2024-01-01T00:00:00Z');
    for (let i = 0; i < 100_000; i++) s.apply(msg(String(i), base + i * 10));
    // a backfill that overlaps the last 500 and adds 5 interleaved ones
    let fresh = 0;
    for (let i = 99_500; i < 100_000; i++) if (s.apply(msg(String(i), base + i * 10)).isNew) fresh++;
    for (let i = 0; i < 5; i++) s.apply(msg(`x${i}`, base + 50_000 * 10 + 5));
    assert.equal(fresh, 0);
    const arr = s.getState().rooms[K]!.messages;
    assert.equal(arr.length, 100_005);
    for (let i = 1; i < arr.length; i++) assert.ok(arr[i - 1]!.ts <= arr[i]!.ts, `sorted at ${i}`);
    assert.equal(new Set(arr.map((m) => m.id)).size, arr.length);
  });

  it('treats an invalid time as arrival time and keeps going', () => {
    let now = 5000;
    const s = setup({ now: () => now });
    s.apply(msg('1', 1000));
    s.apply(msg('2', 'not a time'));
    now = 7000;
    assert.deepEqual(ids(s), ['1', '2']);
    assert.equal(s.getState().rooms[K]!.messages[1]!.ts, 5000);
  });

  it('creates unknown profiles and rooms on the fly', () => {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.apply({ type: 'message', profile: 'x', room: 'r', id: '1', author: { id: 'a', name: 'A' }, text: 'hi', time: '2024-01-01T00:00:00Z' });
    const st = s.getState();
    assert.ok(st.profiles.x);
    assert.deepEqual(st.roomOrder, [roomKey('x', 'r')]);
    assert.equal(st.rooms[roomKey('x', 'r')]!.name, 'r');
  });
});

describe('SessionStore local echo', () => {
  it('shows a pending echo and reconciles it with the send reply', () => {
    let now = 10_000;
    const s = setup({ now: () => now });
    s.addLocalEcho(P, R, 'tx1', 'hi all', { id: 'me1', name: 'Alice' });
    let m = s.getState().rooms[K]!.messages[0]!;
    assert.equal(m.status, 'pending');
    assert.equal(m.id, 'local:tx1');
    assert.equal(m.ts, 10_000);
    now = 11_000;
    s.confirmSend(P, 'tx1', msg('42', 10_500, 'hi all', { id: 'me1', name: 'Alice' }));
    assert.deepEqual(ids(s), ['42']);
    m = s.getState().rooms[K]!.messages[0]!;
    assert.equal(m.status, 'sent');
    assert.equal(m.txnId, 'tx1');
    // the server echo arriving after the reply is a duplicate
    assert.equal(s.apply(msg('42', 10_500, 'hi all', { id: 'me1', name: 'Alice' })).isNew, false);
    assert.deepEqual(ids(s), ['42']);
  });

  it('reconciles when the server echo (with txnId) comes before the reply', () => {
    const s = setup({ now: () => 10_000 });
    s.addLocalEcho(P, R, 'tx1', 'yo', { id: 'me1', name: 'Alice' });
    s.apply(msg('7', 9_000, 'yo', { id: 'me1', name: 'Alice' }, { txnId: 'tx1' }));
    assert.deepEqual(ids(s), ['7']);
    s.confirmSend(P, 'tx1', msg('7', 9_000, 'yo', { id: 'me1', name: 'Alice' }));
    assert.deepEqual(ids(s), ['7']);
    assert.equal(s.getState().rooms[K]!.messages[0]!.status, 'sent');
  });

  it('reconciles a server echo without txnId by id when the reply comes (no doubles at the end)', () => {
    const s = setup({ now: () => 10_000 });
    s.addLocalEcho(P, R, 'tx1', 'same', { id: 'me1', name: 'Alice' });
    // an echo from another author with the same text must not be taken for ours
    s.apply(msg('5', 9_500, 'same', { id: 'u9', name: 'Bob' }));
    s.apply(msg('6', 9_600, 'same', { id: 'me1', name: 'Alice' }));
    s.confirmSend(P, 'tx1', msg('6', 9_600, 'same', { id: 'me1', name: 'Alice' }));
    assert.deepEqual(ids(s), ['5', '6']);
    const mine = s.getState().rooms[K]!.messages[1]!;
    assert.equal(mine.status, 'sent');
    assert.equal(mine.txnId, 'tx1');
  });

  it('two identical texts sent quickly end as exactly two messages in any reply order', () => {
    const s = setup({ now: () => 10_000 });
    const me = { id: 'me1', name: 'Alice' };
    s.addLocalEcho(P, R, 'a', 'ok', me);
    s.addLocalEcho(P, R, 'b', 'ok', me);
    s.apply(msg('1', 9_000, 'ok', me));
    s.apply(msg('2', 9_001, 'ok', me));
    s.confirmSend(P, 'b', msg('1', 9_000, 'ok', me));
    s.confirmSend(P, 'a', msg('2', 9_001, 'ok', me));
    assert.deepEqual(ids(s), ['1', '2']);
    assert.ok(s.getState().rooms[K]!.messages.every((m) => m.status === 'sent'));
  });

  it('keeps a failed echo with its reason and sets it pending again on retry', () => {
    const s = setup();
    s.addLocalEcho(P, R, 'tx', 'nope', { id: 'me1', name: 'Alice' });
    s.failSend(P, 'tx', 'read-only room');
    let m = s.getState().rooms[K]!.messages[0]!;
    assert.equal(m.status, 'failed');
    assert.equal(m.error, 'read-only room');
    s.addLocalEcho(P, R, 'tx', 'nope', { id: 'me1', name: 'Alice' });
    m = s.getState().rooms[K]!.messages[0]!;
    assert.equal(m.status, 'pending');
    assert.equal(m.error, undefined);
    assert.equal(ids(s).length, 1);
    assert.equal(s.removeLocalEcho(P, 'tx'), true);
    assert.equal(ids(s).length, 0);
  });

  it('failSend does not touch a message the server already confirmed', () => {
    const s = setup();
    s.addLocalEcho(P, R, 'tx', 'hi', { id: 'me1', name: 'Alice' });
    s.confirmSend(P, 'tx', msg('1', 1000, 'hi', { id: 'me1', name: 'Alice' }));
    s.failSend(P, 'tx', 'late');
    assert.equal(s.getState().rooms[K]!.messages[0]!.status, 'sent');
  });

  it('keeps send order of echoes made in the same millisecond, at the bottom of the room', () => {
    const s = setup({ now: () => 1000 });
    s.apply(msg('9', 5000));
    const me = { id: 'me1', name: 'Alice' };
    for (const t of ['zz', 'aa', 'mm']) s.addLocalEcho(P, R, t, t, me);
    assert.deepEqual(ids(s), ['9', 'local:zz', 'local:aa', 'local:mm']);
    assert.equal(s.echoTime('aa'), new Date(5002).toISOString());
  });

  it('does not follow a far-future server time with our echo', () => {
    const s = setup({ now: () => 1_000_000 });
    s.apply(msg('z', '2099-01-01T00:00:00Z'));
    s.addLocalEcho(P, R, 'tx', 'now', { id: 'me1', name: 'Alice' });
    assert.ok(Date.parse(s.echoTime('tx')!) <= 1_000_000 + 60_000);
  });

  it('places a restored echo at its original time', () => {
    const s = setup({ now: () => 99_000 });
    s.apply(msg('1', 1000));
    s.apply(msg('3', 3000));
    s.addLocalEcho(P, R, 'old', 'from before', { id: 'me1', name: 'Alice' }, { time: new Date(2000).toISOString() });
    assert.deepEqual(ids(s), ['1', 'local:old', '3']);
  });
});

describe('SessionStore unread and mentions', () => {
  it('counts unread and mentions in rooms that are not active; own messages never count', () => {
    const s = setup();
    s.addRoom(P, { id: 'other', name: 'Other' });
    s.setActiveRoom(roomKey(P, 'other'));
    s.apply(msg('1', 1000, 'hello'));
    s.apply(msg('2', 2000, 'hey Alice, look'));
    s.apply(msg('3', 3000, '@alice!'));
    s.apply(msg('4', 4000, 'me1: ping'));
    s.apply(msg('5', 5000, 'Alice: from myself', { id: 'me1', name: 'Alice' }));
    s.apply(msg('6', 6000, 'Malice and Alicent are not mentions'));
    s.apply(msg('7', 7000, 'service list', { id: 'u2', name: 'Jane' }, { mentions: ['me1'] }));
    const r = s.getState().rooms[K]!;
    assert.equal(r.unread, 6);
    assert.equal(r.mentions, 4);
    assert.deepEqual(
      r.messages.map((m) => m.mention),
      [false, true, true, true, false, false, true],
    );
    assert.equal(r.firstUnread, 0);
  });

  it('does not count a bare number as a mention of an all-digit user id; @id does', () => {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.addProfile(P, 'glimesh', CAPS);
    s.setMe(P, { id: '42', name: 'Zed' });
    s.apply(msg('1', 1000, 'I have 42 apples'));
    s.apply(msg('2', 2000, 'ping @42'));
    assert.deepEqual(s.getState().rooms[K]!.messages.map((m) => m.mention), [false, true]);
  });

  it('treats regex characters in our name literally', () => {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.setMe(P, { id: 'x', name: 'a.b*' });
    s.apply(msg('1', 1000, 'aXbbb'));
    s.apply(msg('2', 2000, 'hi a.b*'));
    assert.deepEqual(s.getState().rooms[K]!.messages.map((m) => m.mention), [false, true]);
  });

  it('system messages do not mention; gaps do not count as unread', () => {
    const s = setup();
    s.setActiveRoom(undefined);
    s.apply(msg('1', 1000, 'Alice followed', { id: 'sys', name: 'system' }, { kind: 'system' }));
    s.apply({ type: 'gap', profile: P, room: R });
    const r = s.getState().rooms[K]!;
    assert.equal(r.mentions, 0);
    assert.equal(r.unread, 1);
    assert.equal(r.messages[1]!.kind, 'gap');
  });

  it('the active room counts nothing; entering resets; leaving clears firstUnread', () => {
    const s = setup();
    s.apply(msg('0', 500));
    s.apply(msg('1', 1000, 'Alice?'));
    s.apply(msg('2', 2000));
    let r = s.getState().rooms[K]!;
    assert.equal(r.unread, 3);
    assert.equal(r.firstUnread, 0);
    s.setActiveRoom(K);
    r = s.getState().rooms[K]!;
    assert.equal(r.unread, 0);
    assert.equal(r.mentions, 0);
    assert.equal(r.firstUnread, 0, 'marker kept while reading');
    s.apply(msg('3', 3000, 'Alice again'));
    r = s.getState().rooms[K]!;
    assert.equal(r.unread, 0);
    assert.equal(r.mentions, 0);
    assert.equal(r.messages[3]!.mention, true, 'still highlighted');
    s.setActiveRoom(undefined);
    r = s.getState().rooms[K]!;
    assert.equal(r.firstUnread, -1);
    s.apply(msg('4', 4000));
    assert.equal(s.getState().rooms[K]!.firstUnread, 4);
    assert.equal(s.getState().rooms[K]!.unread, 1);
  });

  it('keeps firstUnread on its message when older messages are inserted before it', () => {
    const s = setup();
    s.setActiveRoom(K);
    s.apply(msg('1', 1000));
    s.setActiveRoom(undefined);
    s.apply(msg('5', 5000));
    assert.equal(s.getState().rooms[K]!.firstUnread, 1);
    s.apply(msg('3', 3000));
    let r = s.getState().rooms[K]!;
    assert.equal(r.messages[r.firstUnread]!.id, '3', 'the earlier unread message becomes the first');
    s.prependHistory(P, R, [msg('a', 100), msg('b', 200)], true);
    r = s.getState().rooms[K]!;
    assert.equal(r.messages[r.firstUnread]!.id, '3');
  });
});

describe('SessionStore typing and presence', () => {
  it('expires typing users after the ttl with a fake clock; refresh extends; a message clears', () => {
    let now = 1000;
    const s = setup({ now: () => now, typingTtlMs: 6000 });
    const jane = { id: 'u2', name: 'Jane' };
    const bob = { id: 'u3', name: 'Bob' };
    s.apply({ type: 'typing', profile: P, room: R, user: jane, typing: true });
    s.apply({ type: 'typing', profile: P, room: R, user: bob, typing: true });
    assert.deepEqual(s.getState().rooms[K]!.typing.map((t) => t.user.name), ['Jane', 'Bob']);
    now = 5000;
    s.apply({ type: 'typing', profile: P, room: R, user: jane, typing: true }); // refresh
    now = 7001;
    s.expireTyping();
    assert.deepEqual(s.getState().rooms[K]!.typing.map((t) => t.user.name), ['Jane']);
    s.apply(msg('1', 7000, 'done', jane));
    assert.deepEqual(s.getState().rooms[K]!.typing, []);
    s.apply({ type: 'typing', profile: P, room: R, user: bob, typing: true });
    s.apply({ type: 'typing', profile: P, room: R, user: bob, typing: false });
    assert.deepEqual(s.getState().rooms[K]!.typing, []);
    s.dispose();
  });

  it('ignores our own typing and drops expired users with the real timer', async () => {
    const s = setup({ typingTtlMs: 30 });
    s.apply({ type: 'typing', profile: P, room: R, user: { id: 'me1', name: 'Alice' }, typing: true });
    assert.deepEqual(s.getState().rooms[K]!.typing, []);
    s.apply({ type: 'typing', profile: P, room: R, user: { id: 'u2', name: 'Jane' }, typing: true });
    assert.equal(s.getState().rooms[K]!.typing.length, 1);
    await waitUntil(() => s.getState().rooms[K]!.typing.length === 0);
    s.dispose();
  });

  it('replaces the online list on presence', () => {
    const s = setup();
    s.apply({ type: 'presence', profile: P, room: R, online: [{ id: 'u2', name: 'Jane' }] });
    const first = s.getState().rooms[K]!.online;
    s.apply({ type: 'presence', profile: P, room: R, online: [{ id: 'u2', name: 'Jane' }, { id: 'u3', name: 'Bob' }] });
    const second = s.getState().rooms[K]!.online;
    assert.equal(first!.length, 1, 'old list not mutated');
    assert.equal(second!.length, 2);
  });
});

describe('SessionStore edits, deletes, gaps, rooms', () => {
  it('edits in place with the edited mark and deletes leave a placeholder', () => {
    const s = setup();
    s.apply(msg('1', 1000, 'teh'));
    s.apply(msg('2', 2000, 'bye'));
    assert.equal(s.apply({ type: 'message.edit', profile: P, room: R, id: '1', text: 'the', time: new Date(5000).toISOString() }).isNew, true);
    let m = s.getState().rooms[K]!.messages[0]!;
    assert.equal(m.text, 'the');
    assert.equal(m.edited, true);
    assert.equal(m.rev, 1);
    assert.equal(m.ts, 1000, 'an edit does not move the message');
    s.apply({ type: 'message.delete', profile: P, room: R, id: '2' });
    m = s.getState().rooms[K]!.messages[1]!;
    assert.equal(m.deleted, true);
    assert.equal(m.text, '');
    assert.deepEqual(ids(s), ['1', '2']);
    // an edit of a deleted or unknown message does nothing
    assert.equal(s.apply({ type: 'message.edit', profile: P, room: R, id: '2', text: 'back', time: '2024-01-01T00:00:00Z' }).isNew, false);
    assert.equal(s.apply({ type: 'message.edit', profile: P, room: R, id: 'zz', text: 'x', time: '2024-01-01T00:00:00Z' }).isNew, false);
    assert.equal(s.apply({ type: 'message.delete', profile: P, room: R, id: 'zz' }).isNew, false);
    assert.equal(s.getState().rooms[K]!.messages[1]!.text, '');
    // a later copy of a deleted message stays deleted
    s.apply(msg('2', 2000, 'bye'));
    assert.equal(s.getState().rooms[K]!.messages[1]!.text, '');
  });

  it('adds a gap marker after the last message', () => {
    const s = setup({ now: () => 100 });
    s.apply(msg('1', 5000));
    s.apply({ type: 'gap', profile: P, room: R });
    const r = s.getState().rooms[K]!;
    assert.equal(r.messages.length, 2);
    assert.equal(r.messages[1]!.kind, 'gap');
    assert.ok(r.messages[1]!.ts > 5000);
  });

  it('room events and addRoom update name/topic/live/members idempotently; order is grouped by profile', () => {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.addProfile('a', 'chatapi', CAPS);
    s.addProfile('b', 'glimesh', CAPS);
    s.addRoom('a', { id: '1', name: 'one' });
    s.addRoom('b', { id: 'x', name: 'ex' });
    s.addRoom('a', { id: '2', name: 'two' });
    s.addRoom('a', { id: '1', name: 'one' });
    assert.deepEqual(s.getState().roomOrder, [roomKey('a', '1'), roomKey('a', '2'), roomKey('b', 'x')]);
    const before = s.getState().rooms[roomKey('b', 'x')];
    s.apply({ type: 'room', profile: 'b', room: 'x', name: 'Ex', topic: 'speedruns', live: true, members: [{ id: 'm', name: 'M' }] });
    const r = s.getState().rooms[roomKey('b', 'x')]!;
    assert.notEqual(r, before);
    assert.equal(r.name, 'Ex');
    assert.equal(r.topic, 'speedruns');
    assert.equal(r.live, true);
    assert.equal(r.members.length, 1);
    s.apply({ type: 'room', profile: 'b', room: 'x', live: false });
    assert.equal(s.getState().rooms[roomKey('b', 'x')]!.name, 'Ex', 'a room event without name keeps it');
    assert.equal(s.getState().rooms[roomKey('b', 'x')]!.live, false);
    s.setActiveRoom(roomKey('a', '2'));
    s.removeRoom(roomKey('a', '2'));
    assert.deepEqual(s.getState().roomOrder, [roomKey('a', '1'), roomKey('b', 'x')]);
    assert.equal(s.getActiveRoom(), undefined);
  });

  it('clearRoom drops loaded messages but keeps unsent echoes', () => {
    const s = setup();
    s.apply(msg('1', 1000));
    s.addLocalEcho(P, R, 'tx', 'pending one', { id: 'me1', name: 'Alice' });
    s.clearRoom(K);
    assert.deepEqual(ids(s), ['local:tx']);
    assert.equal(s.getState().rooms[K]!.hasMoreHistory, true);
    // a cleared message coming back is stored again
    assert.equal(s.apply(msg('1', 1000)).isNew, true);
  });
});

describe('SessionStore connection and notices', () => {
  it('tracks the profile state, reason and retryAt (ms)', () => {
    const s = setup();
    s.apply({ type: 'connection', profile: P, state: 'reconnecting', reason: 'socket closed (1006)', retryAt: '2024-01-01T00:00:05.000Z' });
    let p = s.getState().profiles[P]!;
    assert.equal(p.state, 'reconnecting');
    assert.equal(p.reason, 'socket closed (1006)');
    assert.equal(p.retryAt, Date.parse('2024-01-01T00:00:05.000Z'));
    s.apply({ type: 'connection', profile: P, state: 'connected' });
    p = s.getState().profiles[P]!;
    assert.equal(p.state, 'connected');
    assert.equal(p.reason, undefined);
    assert.equal(p.retryAt, undefined);
  });

  it('aggregates per-room socket states into the worst one', () => {
    const s = setup();
    s.apply({ type: 'connection', profile: P, room: 'a', state: 'connected' });
    s.apply({ type: 'connection', profile: P, room: 'b', state: 'reconnecting', reason: 'drop' });
    assert.equal(s.getState().profiles[P]!.state, 'reconnecting');
    assert.equal(s.getState().profiles[P]!.reason, 'drop');
    s.apply({ type: 'connection', profile: P, room: 'b', state: 'connected' });
    assert.equal(s.getState().profiles[P]!.state, 'connected');
  });

  it('keeps the last 200 errors and notices', () => {
    const s = setup();
    s.apply({ type: 'error', profile: P, code: 'auth', message: 'bad key' });
    s.apply({ type: 'notice', profile: P, text: 'stream is live', room: R });
    let n = s.getState().notices;
    assert.equal(n.length, 2);
    assert.equal(n[0]!.level, 'error');
    assert.equal(n[1]!.room, R);
    for (let i = 0; i < 300; i++) s.apply({ type: 'notice', profile: P, text: `n${i}` });
    n = s.getState().notices;
    assert.equal(n.length, NOTICE_CAP);
    assert.equal(n[n.length - 1]!.text, 'n299');
    assert.equal(n[0]!.text, `n${300 - NOTICE_CAP}`);
  });
});

describe('SessionStore scrollback limit and history', () => {
  it('drops the oldest beyond the limit and marks more history when the service has it', () => {
    const s = setup({ scrollbackLimit: 100 });
    for (let i = 0; i < 1000; i++) s.apply(msg(String(i), i * 10));
    const r = s.getState().rooms[K]!;
    assert.ok(r.messages.length >= 100 && r.messages.length <= 100 + 100 / 16 + 1, `bounded: ${r.messages.length}`);
    assert.equal(r.messages[r.messages.length - 1]!.id, '999');
    assert.equal(r.hasMoreHistory, true);
    // the ids of dropped messages are forgotten (memory is bounded too)
    assert.equal(s.apply(msg('999', 9990)).isNew, false);
  });

  it('does not claim more history when the service has none', () => {
    const s = setup({ scrollbackLimit: 10, history: false });
    for (let i = 0; i < 50; i++) s.apply(msg(String(i), i));
    const r = s.getState().rooms[K]!;
    assert.ok(r.messages.length <= 11);
    assert.equal(r.hasMoreHistory, false);
  });

  it('prependHistory merges by id, never counts unread, and records hasMore', () => {
    const s = setup();
    s.apply(msg('10', 10_000));
    s.apply(msg('11', 11_000));
    const before = s.getState().rooms[K]!.unread;
    s.prependHistory(P, R, [msg('8', 8000), msg('9', 9000), msg('10', 10_000)], false);
    const r = s.getState().rooms[K]!;
    assert.deepEqual(ids(s), ['8', '9', '10', '11']);
    assert.equal(r.unread, before);
    assert.equal(r.hasMoreHistory, false);
    s.prependHistory(P, R, [msg('9.5', 9500), msg('1', 1000)], true);
    assert.deepEqual(ids(s), ['1', '8', '9', '9.5', '10', '11']);
    assert.equal(s.getState().rooms[K]!.hasMoreHistory, true);
  });

  it('setLoadingHistory toggles the flag', () => {
    const s = setup();
    s.setLoadingHistory(K, true);
    assert.equal(s.getState().rooms[K]!.loadingHistory, true);
    s.setLoadingHistory(K, false);
    assert.equal(s.getState().rooms[K]!.loadingHistory, false);
  });
});

describe('SessionStore snapshots and batching', () => {
  it('keeps snapshot identity until a change, and replaces only the changed room', () => {
    const s = setup();
    s.addRoom(P, { id: 'other', name: 'Other' });
    const a = s.getState();
    assert.equal(s.getState(), a);
    s.apply(msg('1', 1000));
    const b = s.getState();
    assert.notEqual(b, a);
    assert.ok(b.version > a.version);
    assert.notEqual(b.rooms[K], a.rooms[K]);
    assert.ok(b.rooms[K]!.version > a.rooms[K]!.version);
    assert.equal(b.rooms[roomKey(P, 'other')], a.rooms[roomKey(P, 'other')], 'untouched room keeps identity');
    assert.equal(b.profiles[P], a.profiles[P]);
    assert.equal(b.roomOrder, a.roomOrder);
    // documented: the messages array is shared (mutated in place), not copied per message
    assert.equal(b.rooms[K]!.messages, a.rooms[K]!.messages);
  });

  it('notifies synchronously with notifyIntervalMs 0', () => {
    const s = setup();
    let n = 0;
    const off = s.subscribe(() => n++);
    s.apply(msg('1', 1000));
    s.apply(msg('2', 2000));
    assert.equal(n, 2);
    off();
    s.apply(msg('3', 3000));
    assert.equal(n, 2);
  });

  it('coalesces a burst into one notification per interval', async () => {
    const s = new SessionStore({ notifyIntervalMs: 300 });
    const at: number[] = [];
    s.subscribe(() => at.push(Date.now()));
    for (let i = 0; i < 500; i++) s.apply(msg(String(i), i));
    assert.equal(at.length, 0, 'nothing synchronous');
    await waitUntil(() => at.length >= 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(at.length, 1, 'one notification for the whole burst');
    for (let i = 500; i < 600; i++) s.apply(msg(String(i), i));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(at.length, 1, 'the next one waits for the interval');
    await waitUntil(() => at.length >= 2);
    assert.ok(at[1]! - at[0]! >= 290, `interval kept: ${at[1]! - at[0]!} ms`);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(at.length, 2, 'the second burst was one notification too');
    assert.equal(s.getState().rooms[K]!.messages.length, 600);
    s.dispose();
  });

  it('a throwing listener does not break the store or other listeners', () => {
    const s = setup();
    let n = 0;
    s.subscribe(() => {
      throw new Error('boom');
    });
    s.subscribe(() => n++);
    s.apply(msg('1', 1000));
    assert.equal(n, 1);
  });

  it('never throws on odd events', () => {
    const s = setup();
    const odd = [
      { type: 'nonsense', profile: P },
      { type: 'message.edit', profile: P, room: 'nowhere', id: '1', text: 'x', time: 'x' },
      { type: 'connection', profile: P, state: 'reconnecting', retryAt: 'garbage' },
      { type: 'typing', profile: P, room: R, user: { id: 'u', name: 'U' }, typing: false },
    ] as unknown as ChatEvent[];
    for (const ev of odd) s.apply(ev);
    assert.equal(s.getState().profiles[P]!.retryAt, undefined);
  });
});
