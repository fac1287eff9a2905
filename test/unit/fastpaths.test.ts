import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Capabilities } from '../../src/core/connector.js';
import type { MessageEvent } from '../../src/core/events.js';
import { sanitize, sanitizeLine } from '../../src/core/sanitize.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { isoToMs, toIsoUtc } from '../../src/core/time.js';
import { BoundedSet } from '../../src/core/connection/bounded-set.js';

/**
 * The fast paths of the ingest hot path (bench `ingest_ratio`) give exactly what the general code
 * gives: canonical times, clean strings, appends, the room cache, shared authors, the connector's
 * exactly-once set.
 */

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

function msg(room: string, id: string, ms: number, author = { id: 'u1', name: 'Jane' }, text = `text ${id}`): MessageEvent {
  return { type: 'message', profile: 'p', room, id, author, text, time: new Date(ms).toISOString() };
}

describe('toIsoUtc canonical fast path', () => {
  it('returns a canonical time as it is, and the same as the general parser', () => {
    const t = '2024-02-29T23:59:59.999Z';
    assert.equal(toIsoUtc(t, 'FB'), t);
    assert.equal(toIsoUtc('2000-02-29T00:00:00.000Z', 'FB'), '2000-02-29T00:00:00.000Z');
  });
  it('refuses impossible canonical-looking times like the general parser', () => {
    for (const bad of ['2023-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2024-04-31T00:00:00.000Z', '2024-13-01T00:00:00.000Z', '2024-00-10T00:00:00.000Z', '2024-01-00T00:00:00.000Z', '2024-01-01T25:00:00.000Z', '2024-01-01T00:60:00.000Z', '0099-01-01T00:00:00.000Z']) {
      assert.equal(toIsoUtc(bad, 'FB'), 'FB', bad);
    }
  });
  it('leaves 24:00 and other non-canonical forms to the general parser', () => {
    assert.equal(toIsoUtc('2024-01-01T24:00:00.000Z', 'FB'), new Date('2024-01-01T24:00:00.000Z').toISOString());
    assert.equal(toIsoUtc('2024-01-01t00:00:00.000z', 'FB'), '2024-01-01T00:00:00.000Z');
  });
  it('isoToMs matches Date.parse for canonical and other times', () => {
    for (const t of ['2024-02-29T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '2021-01-08T05:03:44Z', '2021-01-08T07:03:44+02:00', '0100-03-01T00:00:00.000Z', '0099-01-01T00:00:00.000Z', '2023-02-29T00:00:00.000Z']) {
      assert.equal(isoToMs(t), Date.parse(t), t);
    }
    assert.ok(Number.isNaN(isoToMs('not a time')));
  });
  it('isoToMs and toIsoUtc agree with Date for canonical times across the calendar (leap years, centuries, 0100–9999)', () => {
    let seed = 11;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const ms = -59_011_459_200_000 + (seed / 2 ** 32) * (253_402_300_799_999 + 59_011_459_200_000); // 0100-01-01 … 9999-12-31
      const t = new Date(Math.floor(ms)).toISOString();
      assert.equal(isoToMs(t), Date.parse(t), t);
      assert.equal(toIsoUtc(t, 'FB'), t, t);
      // The one-entry cache answers by value: the same time as another string object, and a different time after it.
      assert.equal(isoToMs(t.slice(0, 23) + 'Z'), Date.parse(t), t);
    }
    for (const t of ['2000-02-29T12:00:00.000Z', '2100-02-28T23:59:59.999Z', '2400-02-29T00:00:00.000Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z']) {
      assert.equal(isoToMs(t), Date.parse(t), t);
    }
    assert.equal(toIsoUtc('2100-02-29T00:00:00.000Z', 'FB'), 'FB');
    // Times within one minute (the flood's case: only seconds and ms are read again), valid and not;
    // expected values are those of the general parser.
    const sameMinute: [string, string][] = [
      ['2024-03-31T23:59:00.000Z', '2024-03-31T23:59:00.000Z'],
      ['2024-03-31T23:59:59.999Z', '2024-03-31T23:59:59.999Z'],
      ['2024-03-31T23:59:07.042Z', '2024-03-31T23:59:07.042Z'],
      ['2024-03-31T23:59:60.000Z', 'FB'],
      ['2024-03-31T23:59:5x.000Z', 'FB'],
      ['2024-03-31T23:59:07.04Z', '2024-03-31T23:59:07.040Z'],
      ['2024-03-31T23:59:07.042z', '2024-03-31T23:59:07.042Z'],
      ['2024-03-31T23:59:07:042Z', 'FB'],
      ['2024-03-31T23:59:01.500Z', '2024-03-31T23:59:01.500Z'],
    ];
    for (const [t, want] of sameMinute) {
      assert.equal(toIsoUtc(t, 'FB'), want, t);
      if (want === t) assert.equal(isoToMs(t), Date.parse(t), t);
    }
    assert.equal(toIsoUtc('2024-01-01T00:00:00.000+', 'FB'), 'FB');
    assert.equal(toIsoUtc('2024-01-01 00:00:00.000Z', 'FB'), '2024-01-01T00:00:00.000Z');
  });
});

describe('sanitize fast path', () => {
  it('returns clean text unchanged and still cleans everything else', () => {
    const clean = 'hello, world — ünïcödé 👋';
    assert.equal(sanitize(clean), clean);
    assert.equal(sanitizeLine(clean), clean);
    assert.equal(sanitize('two\nlines\tand tab'), 'two\nlines\tand tab');
    assert.equal(sanitizeLine('two\nlines\tand tab'), 'two lines and tab');
    assert.equal(sanitize('a\r\nb'), 'a\nb');
    assert.equal(sanitize('x\u001b[2Jy\u202e'), 'xy');
    assert.equal(sanitize('lone \ud800 surrogate'), 'lone \ufffd surrogate');
    assert.equal(sanitizeLine('lone \udc00'), 'lone \ufffd');
  });
});

describe('store hot path', () => {
  function setup(): SessionStore {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.addProfile('p', 'chatapi', CAPS);
    return s;
  }

  it('appends in order, and inserts late arrivals in place (binary search), across rooms', () => {
    const s = setup();
    const base = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 200; i += 2) s.apply(msg('a', `m${i}`, base + i));
    s.apply(msg('b', 'x1', base)); // another room in between: the room cache must switch
    for (let i = 199; i > 0; i -= 2) s.apply(msg('a', `m${i}`, base + i));
    const got = s.getState().rooms[roomKey('p', 'a')]!.messages.map((m) => m.ts - base);
    assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
    assert.deepEqual(s.getState().rooms[roomKey('p', 'b')]!.messages.map((m) => m.id), ['x1']);
  });

  it('a duplicate id updates the stored message (not new), wherever it is', () => {
    const s = setup();
    const base = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 10; i++) s.apply(msg('a', `m${i}`, base + i));
    assert.equal(s.apply(msg('a', 'm3', base + 3, { id: 'u1', name: 'Jane' }, 'changed')).isNew, false);
    const room = s.getState().rooms[roomKey('p', 'a')]!;
    assert.equal(room.messages.length, 10);
    assert.equal(room.messages[3]!.text, 'changed');
    assert.equal(room.messages[3]!.rev, 1);
    assert.equal(s.apply(msg('a', 'm10', base + 10)).isNew, true);
  });

  it('counts unread on the room state and replaces a room state that was handed out', () => {
    const s = setup();
    const base = Date.UTC(2024, 0, 1);
    s.apply(msg('a', 'm1', base));
    const before = s.getState().rooms[roomKey('p', 'a')]!;
    assert.equal(before.unread, 1);
    s.apply(msg('a', 'm2', base + 1));
    const after = s.getState().rooms[roomKey('p', 'a')]!;
    assert.notEqual(after, before, 'a published RoomState is never mutated');
    assert.equal(before.unread, 1);
    assert.equal(after.unread, 2);
    assert.ok(after.version > before.version);
  });

  it('shares one author object per user, and a renamed user gets a new one', () => {
    const s = setup();
    const base = Date.UTC(2024, 0, 1);
    s.apply(msg('a', 'm1', base, { id: 'u1', name: 'Jane' }));
    s.apply(msg('a', 'm2', base + 1, { id: 'u1', name: 'Jane' }));
    s.apply(msg('b', 'm3', base + 2, { id: 'u1', name: 'Jane' }));
    s.apply(msg('a', 'm4', base + 3, { id: 'u1', name: 'Jane D.' }));
    const a = s.getState().rooms[roomKey('p', 'a')]!.messages;
    const b = s.getState().rooms[roomKey('p', 'b')]!.messages;
    assert.equal(a[0]!.author, a[1]!.author);
    assert.equal(a[0]!.author, b[0]!.author);
    assert.deepEqual(a[2]!.author, { id: 'u1', name: 'Jane D.' });
    assert.deepEqual(a[0]!.author, { id: 'u1', name: 'Jane' }, 'older messages keep the name they had');
    const ev = msg('a', 'm5', base + 4, { id: 'u2', name: 'Bob' });
    s.apply(ev);
    assert.notEqual(s.getState().rooms[roomKey('p', 'a')]!.messages[3]!.author, ev.author, "the event's own object is not kept");
  });

  it('forgets a removed room from its cache', () => {
    const s = setup();
    const base = Date.UTC(2024, 0, 1);
    s.apply(msg('a', 'm1', base));
    s.removeRoom(roomKey('p', 'a'));
    s.apply(msg('a', 'm2', base + 1));
    assert.deepEqual(s.getState().rooms[roomKey('p', 'a')]!.messages.map((m) => m.id), ['m2']);
  });
});

describe('chatapi exactly-once set', () => {
  it('remembers at least the last `limit` ids', () => {
    const set = new BoundedSet(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(set.add(id), true);
    assert.equal(set.add('c'), false);
    assert.equal(set.add('d'), false);
    assert.equal(set.add('e'), false);
    assert.equal(set.has('e'), true);
    for (const id of ['f', 'g', 'h', 'i']) set.add(id);
    assert.equal(set.has('a'), false, 'old generations are dropped');
    assert.equal(set.add('a'), true);
  });
});

describe('store hot path with synchronous listeners', () => {
  it('a listener that reads the state at once sees the counters of the message just applied', () => {
    const s = new SessionStore({ notifyIntervalMs: 0 });
    s.addProfile('p', 'chatapi', CAPS);
    s.setMe('p', { id: 'me', name: 'Me' });
    const seen: Array<[number, number]> = [];
    s.subscribe(() => {
      const r = s.getState().rooms[roomKey('p', 'a')];
      if (r) seen.push([r.unread, r.mentions]);
    });
    const base = Date.UTC(2024, 0, 1);
    s.apply(msg('a', 'm1', base));
    s.apply(msg('a', 'm2', base + 1, { id: 'u1', name: 'Jane' }, 'hey Me, look'));
    assert.deepEqual(seen.at(-1), [2, 1]);
    assert.equal(s.getState().rooms[roomKey('p', 'a')]!.mentions, 1);
  });
});
