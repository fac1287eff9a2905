import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession, definition } from '../../src/connectors/chatapi/index.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import { ChatError, UsageError } from '../../src/core/errors.js';
import type { ConnectorEvent } from '../../src/core/events.js';
import type { NamedProfile, Profile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { startSocketIoServer } from '../servers/chatapi-socketio/server.js';
import { waitFor } from '../cli/helpers.js';

// /topic (PUT /rooms/{id} {description}) and /nick (the profile's userName, saved, then a reconnect with it).

const ROOM = '550e8400-e29b-41d4-a716-446655440001';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
test('chatapi docs: setTopic PUTs the description, emits the room topic sanitised; the capabilities say topicSet and nick', async () => {
  assert.equal(definition.capabilities.topicSet && definition.capabilities.nick, true);
  const server = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general', description: 'old' }] });
  const events: ConnectorEvent[] = [];
  const session = createChatApiSession(
    { profile: { name: 'c', service: 'chatapi', protocol: 'docs', url: server.url, userId: 'me', rooms: [ROOM] }, token: server.apiKey, emit: (e) => events.push(e), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), connectedGraceMs: 100 },
  );
  cleanups.push(async () => {
    await session.disconnect();
    await server.close();
  });
  await session.connect(new AbortController().signal);
  await session.setTopic(ROOM, 'release \u001b[2Jfriday');
  const put = server.requests.find((r) => r.method === 'PUT');
  assert.equal(put?.path, `/api/v1/rooms/${ROOM}`);
  assert.deepEqual(put?.body, { description: 'release \u001b[2Jfriday' });
  const ev = events.find((e) => e.type === 'room' && e.topic?.startsWith('release'));
  assert.ok(ev && ev.type === 'room' && ev.room === ROOM && ev.topic?.startsWith('release') && !ev.topic.includes('\u001b'));
  assert.deepEqual(session.setNick('  Johnny  '), { userName: 'Johnny' });
  assert.throws(() => session.setNick(''), UsageError);
  assert.throws(() => session.setNick('bad\u0007name'), UsageError);
});

test('chatapi socketio: setTopic is refused (forbidden) for a member who is not the owner, and nothing is emitted', async () => {
  const SROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';
  const server = await startSocketIoServer({ rooms: [{ id: SROOM, name: 'general', members: ['bob', 'alice'] }] });
  const events: ConnectorEvent[] = [];
  const session = createChatApiSession(
    { profile: { name: 's', service: 'chatapi', protocol: 'socketio', url: server.url, userId: 'alice', rooms: [SROOM] }, token: 'scoped-key-alice', emit: (e) => events.push(e), saveProfile: async () => {} },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }) },
  );
  cleanups.push(async () => {
    await session.disconnect();
    await server.close();
  });
  await session.connect(new AbortController().signal);
  await assert.rejects(session.setTopic!(SROOM, 'mine now'), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
  assert.equal(events.filter((e) => e.type === 'room' && e.topic === 'mine now').length, 0);
});

test('runtime.setNick saves the userName to the profile and reconnects with it (the socket says user_name=Johnny)', async () => {
  const server = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general' }] });
  const saved: { name: string; patch: Partial<Profile> }[] = [];
  const def: ConnectorDefinition = { ...definition, create: (ctx) => createChatApiSession(ctx, { backoff: () => new Backoff({ baseMs: 10, capMs: 40 }), connectedGraceMs: 100 }) };
  const profile: NamedProfile = { name: 'c', service: 'chatapi', protocol: 'docs', url: server.url, token: server.apiKey, userId: 'me', userName: 'John', rooms: [ROOM] };
  const store = new SessionStore({ notifyIntervalMs: 0 });
  const rt = new ChatRuntime({
    profiles: [profile],
    resolveToken: async (p) => p.token,
    saveProfile: async (name, patch) => void saved.push({ name, patch }),
    store,
    getConnector: (id) => (id === 'chatapi' ? def : undefined),
    backoff: { baseMs: 20, capMs: 50 },
  });
  cleanups.push(async () => {
    await rt.stop();
    await server.close();
  });
  await rt.start();
  await waitFor(() => server.openSockets(ROOM).some((s) => s.query.user_name === 'John'), 8000, 'first socket');
  assert.equal(store.getState().profiles['c']?.capabilities.nick, true);
  await rt.setNick('c', 'Johnny');
  assert.deepEqual(saved, [{ name: 'c', patch: { userName: 'Johnny' } }]);
  await waitFor(() => server.openSockets(ROOM).some((s) => s.query.user_name === 'Johnny'), 8000, 'a socket with the new name');
  await waitFor(() => store.getState().profiles['c']?.state === 'connected', 8000, 'connected again');
  assert.ok(store.getState().rooms[roomKey('c', ROOM)], 'the room is still there');
  await assert.rejects(rt.setNick('c', ''), UsageError);
  assert.equal(saved.length, 1, 'a refused name is not saved');
});
