import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession, definition } from '../../src/connectors/chatapi/index.js';
import type { ChatApiSession } from '../../src/connectors/chatapi/session.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent } from '../../src/core/events.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startChatApiServer, type ChatApiTestServer } from '../servers/chatapi/server.js';

// Editing and deleting our own messages over Doc B's REST (PUT / DELETE /api/v1/messages/{id}).

const ROOM = '550e8400-e29b-41d4-a716-446655440001';
const open: { server: ChatApiTestServer; session: ChatApiSession }[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.session.disconnect();
    await h.server.close();
  }
});

async function harness(): Promise<{ server: ChatApiTestServer; session: ChatApiSession; events: ConnectorEvent[] }> {
  const server = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general' }] });
  const events: ConnectorEvent[] = [];
  const session = createChatApiSession(
    { profile: { name: 'c', service: 'chatapi', protocol: 'docs', url: server.url, userId: 'me', userName: 'Me', rooms: [ROOM] }, token: server.apiKey, emit: (e) => events.push(e), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), connectedGraceMs: 100 },
  );
  open.push({ server, session });
  await session.connect(new AbortController().signal);
  return { server, session, events };
}

test('chatapi docs: editOwn and deleteOwn are capabilities of the session', () => {
  assert.equal(definition.capabilities.editOwn, true);
  assert.equal(definition.capabilities.deleteOwn, true);
});

test('chatapi docs: editMessage PUTs {content} and emits the edit; deleteMessage DELETEs and emits the delete', async () => {
  const { server, session, events } = await harness();
  const sent = await session.send(ROOM, 'helo', 't1');
  await session.editMessage(ROOM, sent.id, 'hello \u001b[31mworld');
  const put = server.requests.find((r) => r.method === 'PUT');
  assert.equal(put?.path, `/api/v1/messages/${sent.id}`);
  assert.deepEqual(put?.body, { content: 'hello \u001b[31mworld' });
  assert.equal(server.messages.get(ROOM)?.[0]?.content, 'hello \u001b[31mworld');
  const edit = events.find((e) => e.type === 'message.edit');
  assert.ok(edit && edit.type === 'message.edit');
  assert.equal(edit.id, sent.id);
  assert.equal(edit.room, ROOM);
  assert.ok(!edit.text.includes('\u001b'), 'remote-bound text is sanitised before it reaches the store');
  await session.deleteMessage(ROOM, sent.id);
  assert.equal(server.requests.find((r) => r.method === 'DELETE')?.path, `/api/v1/messages/${sent.id}`);
  assert.equal(server.messages.get(ROOM)?.[0]?.is_deleted, true);
  assert.ok(events.some((e) => e.type === 'message.delete' && e.id === sent.id));
});

test('chatapi docs: editing a message the server does not have is not_found, and nothing is emitted', async () => {
  const { session, events } = await harness();
  await assert.rejects(session.editMessage(ROOM, 'nope', 'x'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  await assert.rejects(session.deleteMessage(ROOM, 'nope'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  assert.equal(events.filter((e) => e.type === 'message.edit' || e.type === 'message.delete').length, 0);
});

test('chatapi socketio: PUT / DELETE /api/v1/messages/{id} with the Bearer key; the session emits what the server never pushes', async () => {
  const { startSocketIoServer } = await import('../servers/chatapi-socketio/server.js');
  const SROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';
  const server = await startSocketIoServer({ rooms: [{ id: SROOM, name: 'general', members: ['alice'] }] });
  const events: ConnectorEvent[] = [];
  const session = createChatApiSession(
    { profile: { name: 's', service: 'chatapi', protocol: 'socketio', url: server.url, userId: 'alice', userName: 'Alice', rooms: [SROOM] }, token: 'scoped-key-alice', emit: (e) => events.push(e), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }) },
  );
  try {
    await session.connect(new AbortController().signal);
    assert.equal(session.capabilities.editOwn && session.capabilities.deleteOwn, true);
    const sent = await session.send(SROOM, 'helo', 't1');
    await session.editMessage!(SROOM, sent.id, 'hello');
    const put = server.requests.find((r) => r.method === 'PUT');
    assert.equal(put?.path, `/api/v1/messages/${sent.id}`);
    assert.equal(put?.headers.authorization, 'Bearer scoped-key-alice');
    assert.equal(server.messages.get(SROOM)?.[0]?.content, 'hello');
    assert.ok(events.some((e) => e.type === 'message.edit' && e.id === sent.id && e.text === 'hello'));
    await session.deleteMessage!(SROOM, sent.id);
    assert.equal(server.messages.get(SROOM)?.[0]?.is_deleted, true);
    assert.ok(events.some((e) => e.type === 'message.delete' && e.id === sent.id));
    await assert.rejects(session.editMessage!(SROOM, sent.id, 'again'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
  } finally {
    await session.disconnect();
    await server.close();
  }
});
