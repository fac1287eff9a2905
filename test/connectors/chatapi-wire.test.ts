import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatapiUrls } from '../../src/connectors/chatapi/transport.js';
import { closeError, frameTime, httpError, parseErrorBody, parseFrame, parseMessage, parseRoom, retryAfterMs, unwrap, unwrapList } from '../../src/connectors/chatapi/wire.js';

const ROOM = '550e8400-e29b-41d4-a716-446655440001';

test('urls: http→ws, https→wss, prefix kept, /api/v1 not doubled', () => {
  assert.deepEqual(chatapiUrls('http://localhost:8000'), { rest: 'http://localhost:8000/api/v1', ws: 'ws://localhost:8000' });
  assert.deepEqual(chatapiUrls('https://api.chatapi.dev/'), { rest: 'https://api.chatapi.dev/api/v1', ws: 'wss://api.chatapi.dev' });
  assert.deepEqual(chatapiUrls('https://host/chat/api/v1/'), { rest: 'https://host/chat/api/v1', ws: 'wss://host/chat' });
  assert.deepEqual(chatapiUrls('wss://host:9'), { rest: 'https://host:9/api/v1', ws: 'wss://host:9' });
  assert.throws(() => chatapiUrls('not a url'), /not a valid URL/);
});

test('frames: envelope, binary, size bound, non-JSON, wrong shapes', () => {
  const f = parseFrame(Buffer.from(JSON.stringify({ type: 'pong', timestamp: '2024-01-01T12:00:00' })), false);
  // The frame's time is kept as sent and read on demand (frameTime), not for every frame.
  assert.deepEqual(f, { type: 'pong', data: {}, timestamp: '2024-01-01T12:00:00' });
  assert.equal(typeof f === 'object' ? frameTime(f) : f, '2024-01-01T12:00:00.000Z');
  for (const [ts, want] of [[1704110400, '2024-01-01T12:00:00.000Z'], ['garbage', undefined], [undefined, undefined], [{}, undefined]] as const) {
    const g = parseFrame(JSON.stringify({ type: 'x', timestamp: ts }), false);
    assert.equal(typeof g === 'object' ? frameTime(g) : g, want);
  }
  assert.equal(parseFrame(Buffer.from('{}'), true), 'binary');
  assert.equal(parseFrame(Buffer.alloc(1024 * 1024 + 1, 0x20), false), 'too_big');
  assert.equal(parseFrame('nope', false), 'not_json');
  assert.equal(parseFrame('[1]', false), 'not_envelope');
  assert.equal(parseFrame('{"type":7}', false), 'not_envelope');
});

test('messages: Doc B fields and the real server names, edited flag, mentions, sanitised', () => {
  const a = parseMessage(
    { id: 'm1', sender_id: 'user_123', sender_name: 'John\u001b[2J Doe', content: 'hi\u0007', message_type: 'text', meta: { mentions: ['user_456', 7, {}] }, created_at: '2024-01-01T12:00:00Z', edited_at: '2024-01-01T12:05:00Z' },
    ROOM,
  );
  assert.deepEqual(a?.event, {
    type: 'message',
    room: ROOM,
    id: 'm1',
    author: { id: 'user_123', name: 'John Doe' },
    text: 'hi',
    time: '2024-01-01T12:00:00.000Z',
    edited: true,
    mentions: ['user_456', '7'],
  });
  const b = parseMessage({ message_id: 'm2', sender_user_id: 'alice', sender_display_name: 'Alice', content: 'x', reply_to_id: 'm1', is_deleted: true, created_at: 1704110400 }, ROOM);
  assert.equal(b?.event.author.name, 'Alice');
  assert.equal(b?.event.replyTo, 'm1');
  assert.equal(b?.event.time, '2024-01-01T12:00:00.000Z');
  assert.equal(b?.deleted, true);
  assert.equal(parseMessage({ content: 'no id' }, ROOM), undefined);
  assert.equal(parseMessage('x', ROOM), undefined);
  assert.equal(parseMessage({ id: 'nobody' }, ROOM)?.event.author.id, 'unknown');
});

test('messages: the time of their own wins; the frame time (raw) is read only when there is none; then now', () => {
  const own = parseMessage({ id: 'a', content: 'x', created_at: '2024-01-01T12:00:00.000Z' }, ROOM, '2030-01-01T00:00:00Z');
  assert.equal(own?.event.time, '2024-01-01T12:00:00.000Z');
  const zoneless = parseMessage({ id: 'a', content: 'x', created_at: '2024-01-01T12:00:00' }, ROOM, 'garbage');
  assert.equal(zoneless?.event.time, '2024-01-01T12:00:00.000Z');
  assert.equal(parseMessage({ id: 'b', content: 'x' }, ROOM, '2024-01-01T12:00:00')?.event.time, '2024-01-01T12:00:00.000Z');
  assert.equal(parseMessage({ id: 'b', content: 'x', created_at: 'not a time' }, ROOM, 1704110400)?.event.time, '2024-01-01T12:00:00.000Z');
  assert.equal(parseMessage({ id: 'b', content: 'x', timestamp: 1704110400000 }, ROOM)?.event.time, '2024-01-01T12:00:00.000Z');
  const before = Date.now();
  for (const fallback of [undefined, 'garbage', {}, Number.NaN]) {
    const t = Date.parse(parseMessage({ id: 'c', content: 'x', created_at: 'Feb 30' }, ROOM, fallback)?.event.time ?? '');
    assert.ok(t >= before - 1 && t <= Date.now() + 1, String(fallback));
  }
});

test('REST bodies: envelope and bare; lists under data, items or messages', () => {
  assert.deepEqual(unwrap({ data: [1], status: 'success' }), [1]);
  assert.deepEqual(unwrap([1]), [1]);
  assert.deepEqual(unwrapList({ data: [1], status: 'success', pagination: {} }, 'rooms'), [1]);
  assert.deepEqual(unwrapList({ messages: [2] }, 'messages'), [2]);
  assert.deepEqual(unwrapList({ data: { items: [3] }, status: 'success' }, 'rooms'), [3]);
  assert.equal(unwrapList({ data: 'x', status: 'success' }, 'rooms'), undefined);
  assert.deepEqual(parseRoom({ id: ROOM, name: 'general', description: 'd' }), { id: ROOM, name: 'general', topic: 'd' });
  assert.deepEqual(parseRoom({ room_id: 'r' }), { id: 'r', name: 'r' });
});

test('errors: both documented shapes, FastAPI detail lists, codes and statuses', () => {
  assert.deepEqual(parseErrorBody({ error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' }, status: 'error' }), { text: 'Room not found', code: 'not_found' });
  assert.deepEqual(parseErrorBody({ detail: 'Invalid credentials', error_code: 'INVALID_CREDENTIALS', status_code: 401 }), { text: 'Invalid credentials', code: 'auth' });
  assert.deepEqual(parseErrorBody({ detail: [{ msg: 'field required' }, { msg: 'too long' }] }), { text: 'field required; too long' });
  assert.deepEqual(parseErrorBody('plain text\u001b[31m'), { text: 'plain text' });
  const rl = httpError(429, { detail: 'slow down' }, 'send', 60_000);
  assert.equal(rl.code, 'rate_limited');
  assert.equal(rl.retryAfterMs, 60_000);
  assert.equal(rl.retryable, true);
  assert.equal(httpError(403, {}, 'x').code, 'forbidden');
  assert.equal(httpError(503, {}, 'x').code, 'network');
  assert.equal(httpError(503, {}, 'x').retryable, true);
  assert.equal(httpError(400, { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'm' } }, 'x').code, 'rate_limited');
  assert.equal(retryAfterMs('120'), 120_000);
  assert.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now()) !== undefined, true);
  assert.equal(retryAfterMs('soon'), undefined);
});

test('close codes: 4001–4004 and the rest', () => {
  assert.equal(closeError(4001, 'Unauthorized', 'room x')?.code, 'auth');
  assert.equal(closeError(4001, '', 'room x')?.retryable, false);
  assert.equal(closeError(4002, '', 'room x')?.code, 'not_found');
  assert.equal(closeError(4003, '', 'room x')?.code, 'forbidden');
  assert.equal(closeError(4004, '', 'room x')?.retryable, true);
  assert.match(closeError(4004, '\u001b[2Jslow', 'room x')?.message ?? '', /\(slow\)$/);
  for (const c of [1000, 1001, 1006, 1011, 4000, 4999]) assert.equal(closeError(c, '', 'room x'), undefined);
});

test('messages: authors of the same raw sender_id/sender_name are shared, and a changed name or unusable id is read afresh', () => {
  const a = parseMessage({ id: '1', sender_id: 'u1', sender_name: 'Ann', content: 'x' }, ROOM)?.event.author;
  const b = parseMessage({ id: '2', sender_id: 'u1', sender_name: 'Ann', content: 'y' }, ROOM)?.event.author;
  assert.deepEqual(a, { id: 'u1', name: 'Ann' });
  assert.equal(a, b, 'one object for the same raw pair');
  assert.deepEqual(parseMessage({ id: '3', sender_id: 'u1', sender_name: 'Ann B.', content: 'z' }, ROOM)?.event.author, { id: 'u1', name: 'Ann B.' });
  assert.deepEqual(parseMessage({ id: '4', sender_id: 'u1', sender_name: 'Ann', content: 'z' }, ROOM)?.event.author, { id: 'u1', name: 'Ann' });
  // Unusable Doc B fields: the real server's names decide, every time.
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(parseMessage({ id: '5', sender_id: '  ', sender_user_id: 'alice', sender_name: '\u001b[2J', sender_display_name: 'Alice', content: 'z' }, ROOM)?.event.author, { id: 'alice', name: 'Alice' });
  }
  // Hostile names are sanitised on the first sight and stay so from the cache.
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(parseMessage({ id: '6', sender_id: 'e\u202ev', sender_name: 'E\u001b]0;t\u0007vil\nX', content: 'z' }, ROOM)?.event.author, { id: 'ev', name: 'Evil X' });
  }
  // Long raw values are not kept as keys (cut as before).
  const long = 'x'.repeat(500);
  assert.equal(parseMessage({ id: '7', sender_id: long, sender_name: long, content: 'z' }, ROOM)?.event.author.id.length, 200);
});
