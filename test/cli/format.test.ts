import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMessage, formatOther, jsonLine, oneLineText, toJsonEvent } from '../../src/cli/format.js';
import { BoundedSet } from '../../src/cli/commands/tail.js';
import { demoProfileLine, shellQuote } from '../../src/cli/commands/demo.js';
import { exampleAddLine } from '../../src/cli/commands/tui.js';
import type { MessageEvent } from '../../src/core/events.js';
import { connectors } from '../../src/connectors/index.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const msg = (over: Partial<MessageEvent> = {}): MessageEvent => ({
  type: 'message',
  profile: 'p',
  room: 'r1',
  id: 'm1',
  author: { id: 'u1', name: 'Jane' },
  text: 'hello',
  time: '2021-01-08T05:03:44.000Z',
  ...over,
});

describe('--json projection', () => {
  it('keeps only the contract fields of a message', () => {
    const j = toJsonEvent(msg({ txnId: 't1', mentions: ['u2'], kind: 'system', edited: true, replyTo: 'm0' }));
    assert.deepEqual(j, {
      type: 'message', profile: 'p', room: 'r1', id: 'm1', author: { id: 'u1', name: 'Jane' }, text: 'hello',
      time: '2021-01-08T05:03:44.000Z', edited: true, replyTo: 'm0',
    });
  });

  it('prints connection/error/notice/gap/typing/presence/edit/delete, not room updates', () => {
    assert.deepEqual(toJsonEvent({ type: 'connection', profile: 'p', state: 'reconnecting', reason: 'closed 1006', retryAt: '2021-01-01T00:00:01.000Z' }), {
      type: 'connection', profile: 'p', state: 'reconnecting', reason: 'closed 1006', retryAt: '2021-01-01T00:00:01.000Z',
    });
    assert.deepEqual(toJsonEvent({ type: 'typing', profile: 'p', room: 'r', user: { id: 'u', name: 'N' }, typing: true }), {
      type: 'typing', profile: 'p', room: 'r', user: { id: 'u', name: 'N' }, typing: true,
    });
    assert.deepEqual(toJsonEvent({ type: 'presence', profile: 'p', room: 'r', online: [{ id: 'u', name: 'N' }] })?.online, [{ id: 'u', name: 'N' }]);
    assert.deepEqual(toJsonEvent({ type: 'message.delete', profile: 'p', room: 'r', id: 'x' }), { type: 'message.delete', profile: 'p', room: 'r', id: 'x' });
    assert.equal(toJsonEvent({ type: 'gap', profile: 'p', room: 'r' })?.type, 'gap');
    assert.equal(toJsonEvent({ type: 'error', profile: 'p', code: 'auth', message: 'no' })?.code, 'auth');
    assert.equal(toJsonEvent({ type: 'room', profile: 'p', room: 'r', name: 'n' }), undefined);
  });

  it('jsonLine (the fast path of tail) prints what toJsonEvent gives, hostile strings included', () => {
    const evs = [
      msg(),
      msg({ text: 'a\u009b31mb\u202ec\u001b[2J', author: { id: 'u', name: 'ev\u001b]0;x\u0007il\u0085' }, edited: true, txnId: 't' }),
      msg({ text: 'line\nbreak\ttab', author: { id: 'u', name: 'two\nlines' } }),
      { type: 'notice', profile: 'p', text: 'n\u2066o', room: 'r' } as const,
      { type: 'presence', profile: 'p', room: 'r', online: [{ id: 'u', name: 'N\u009d' }] } as const,
    ];
    for (const ev of evs) {
      const line = jsonLine(ev);
      assert.equal(line, JSON.stringify(toJsonEvent(ev)));
      assert.ok(!CONTROL.test(line ?? ''), line);
    }
    assert.equal(jsonLine({ type: 'room', profile: 'p', room: 'r' }), undefined);
  });

  it('re-sanitises strings that a connector let through', () => {
    const j = toJsonEvent(msg({ text: 'a\u009b31mb\u202ec', author: { id: 'u', name: 'ev\u001b[2Jil' } }));
    assert.equal(j?.text, 'abc');
    assert.deepEqual(j?.author, { id: 'u', name: 'evil' });
  });
});

describe('plain output', () => {
  it('one line a message: time, room, author, text; newlines shown as ↵', () => {
    const line = formatMessage(msg({ text: 'line one\nline two\tend' }), new Map([['r1', 'general']]));
    assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[general\] Jane: line one ↵ line two end$/);
    assert.ok(!line.includes('\n'));
    assert.match(formatMessage(msg({ edited: true })), /\[r1\] Jane: hello \(edited\)$/);
  });

  it('nothing a terminal would act on survives', () => {
    const hostile = msg({
      room: 'r\u001b]0;x\u0007',
      author: { id: 'u', name: 'evil\u001b[2J\u001b]8;;http://x\u0007' },
      text: 'a\u001b]0;pwned\u0007b\u009b31mc\u202eexe.txt\r\u0008\u0000 end',
    });
    const line = formatMessage(hostile);
    assert.ok(!CONTROL.test(line), JSON.stringify(line));
    assert.match(line, /abc.*exe\.txt/);
    assert.ok(!CONTROL.test(oneLineText('\u001bP1;2|x\u001b\\ok\u0007')));
    const other = formatOther({ type: 'error', profile: 'p', code: 'network', message: 'bad\u001b[31m\nthing' });
    assert.equal(other?.stream, 'stderr');
    assert.ok(!CONTROL.test(other?.line ?? '') && !(other?.line ?? '').includes('\n'));
    assert.equal(formatOther({ type: 'typing', profile: 'p', room: 'r', user: { id: 'u', name: 'n' }, typing: true }), undefined);
  });
});

describe('helpers', () => {
  it('BoundedSet (the kit\'s, as tail uses it) de-duplicates the recent keys and forgets old ones', () => {
    const s = new BoundedSet(2); // at least the last 2 keys, at most 4
    assert.equal(s.add('a'), true);
    assert.equal(s.add('a'), false);
    assert.equal(s.add('b'), true); // a, b move to the older generation
    assert.equal(s.add('c'), true);
    assert.equal(s.add('a'), false); // still known, and recent again: c, a are the older generation
    assert.equal(s.add('d'), true);
    assert.equal(s.add('e'), true); // d, e older; c, a forgotten
    assert.equal(s.add('d'), false);
    assert.equal(s.add('e'), false);
    assert.equal(s.add('c'), true);
    assert.equal(s.add('b'), true);
  });

  it('the demo profile line is shell-quoted and complete', () => {
    assert.equal(shellQuote('plain-1'), 'plain-1');
    assert.equal(shellQuote("it's me"), `'it'\\''s me'`);
    const line = demoProfileLine({ url: 'http://127.0.0.1:4567', port: 4567, token: 'demo-token', userId: 'me', userName: 'You There', rooms: ['a', 'b'], close: async () => {} });
    assert.equal(line, "chat-tui profile add demo --service chatapi --url http://127.0.0.1:4567 --token demo-token --user-id me --user-name 'You There' --room a --room b");
  });

  it('welcome lines name each service once', () => {
    for (const def of connectors) assert.match(exampleAddLine(def), new RegExp(`^chat-tui profile add my-${def.id} --service ${def.id} `));
  });
});
