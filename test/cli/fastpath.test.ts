import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonLine, toJsonEvent } from '../../src/cli/format.js';
import { SeenPerRoom } from '../../src/cli/commands/tail.js';
import { redact, redactLines, registerSecret } from '../../src/config/secrets.js';
import type { MessageEvent } from '../../src/core/events.js';

/** What the general path prints: the projected, re-sanitised object, with roomName when the room has a name. */
function expected(ev: MessageEvent, names: Map<string, string>): string {
  const o = toJsonEvent(ev) as Record<string, unknown>;
  const name = names.get(ev.room);
  return JSON.stringify(name === undefined ? o : { ...o, roomName: toJsonEvent({ type: 'notice', profile: 'p', text: name })?.text });
}

describe('tail --json fast path', () => {
  it('a message line is byte for byte the general path, for plain and hostile fields alike', () => {
    const texts = ['hello', 'quote " and \\ back', 'line\nbreak\ttab', 'a\u009b31mb', 'rtl \u202e txt', 'esc \u001b[2J', 'émoji 🚀 ☕', ''];
    const names = ['Jane', 'two\nlines', 'tab\there', 'c1\u0085', 'bidi\u2066x', 'N"q'];
    const rooms = new Map([['r1', 'general'], ['r3', 'evil\u202ename']]);
    let n = 0;
    for (const text of texts)
      for (const name of names)
        for (const room of ['r1', 'r2', 'r3', 'r\u009dx'])
          for (const extra of [{}, { edited: true }, { replyTo: 'm0' }, { replyTo: 'x\u200ey', edited: true }, { txnId: 't', mentions: ['u'] }]) {
            const ev: MessageEvent = { type: 'message', profile: 'p', room, id: `m${n++}`, author: { id: `u\u007f${n % 2 ? '' : 'x'}`, name }, text, time: '2021-01-08T05:03:44.000Z', ...extra };
            assert.equal(jsonLine(ev, { names: rooms }), expected(ev, rooms), JSON.stringify(ev));
          }
    assert.ok(n > 500);
  });

  it('remembers message ids per room: a repeat is refused, the same id in another room is not', () => {
    const seen = new SeenPerRoom(4);
    assert.equal(seen.add('a', 'm1'), true);
    assert.equal(seen.add('b', 'm1'), true);
    assert.equal(seen.add('a', 'm1'), false);
    assert.equal(seen.add('b', 'm1'), false);
    assert.equal(seen.add('a', 'm2'), true);
    assert.equal(seen.add('a', 'm3'), true);
    assert.equal(seen.add('a', 'm1'), false); // still in the older generation
    assert.equal(seen.add('b', 'm2'), true);
  });

  it('a batch of lines is redacted exactly as each line on its own, secrets with a line break included', () => {
    registerSecret('s3cr3t-token-abc');
    const pieces = ['s3cr3t-token-abc', 'czNjcjN0LXRva2VuLWFiYw', 's3cr3t%2Dtoken', 'two', 'line-secret', 'two\\nline-secret', 'plain', '***'];
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push(`${pieces[i % pieces.length]} ${i} ${pieces[(i * 7) % pieces.length]}${pieces[(i * 3) % pieces.length]}`);
    const batch = `${lines.join('\n')}\n`;
    // One search per spelling over the whole batch…
    assert.equal(redactLines(batch), `${lines.map(redact).join('\n')}\n`);
    assert.ok(!redactLines(batch).includes('s3cr3t-token-abc'));
    // …and line by line once a spelling spans lines ('two\nline' must not be matched across two lines).
    registerSecret('two\nline-secret');
    assert.equal(redactLines(batch), `${lines.map(redact).join('\n')}\n`);
    assert.equal(redactLines('two\nline-secret\n'), 'two\nline-secret\n');
  });
});
