import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatApiSession } from '../../src/connectors/chatapi/index.js';
import type { ChatApiSession } from '../../src/connectors/chatapi/session.js';
import { ChatError } from '../../src/core/errors.js';
import type { ConnectorEvent, MessageEvent } from '../../src/core/events.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startDemoServer, type DemoServer } from '../../src/demo/server.js';

async function waitFor<T>(fn: () => T | undefined | false | null, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(pace = 40, token?: string): Promise<{ demo: DemoServer; session: ChatApiSession; events: ConnectorEvent[] }> {
  const demo = await startDemoServer({ pace });
  cleanup.push(() => demo.close());
  const events: ConnectorEvent[] = [];
  const session = createChatApiSession(
    {
      profile: { name: 'demo', service: 'chatapi', protocol: 'docs', url: demo.url, rooms: [...demo.rooms], userId: demo.userId, userName: demo.userName },
      token: token ?? demo.token,
      emit: (e) => events.push(e),
      saveProfile: async () => {},
    },
    { backoff: () => new Backoff({ baseMs: 10, capMs: 20 }), connectedGraceMs: 100 },
  );
  cleanup.push(() => session.disconnect());
  return { demo, session, events };
}

test('demo server: three named rooms with seeded history, oldest first', async () => {
  const { demo, session } = await setup();
  assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(demo.rooms.length >= 3);
  assert.ok(demo.token.length >= 20);
  await session.connect(new AbortController().signal);
  const rooms = await session.listRooms();
  assert.deepEqual(rooms.map((r) => r.name).slice(0, 3), ['general', 'random', 'help']);
  for (const r of rooms) assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const hist = await session.history(demo.rooms[0]!, { limit: 50 });
  assert.ok(hist.length >= 15, `seeded history (${hist.length})`);
  const times = hist.map((m) => Date.parse(m.time));
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
  assert.ok(times.every((t) => t < Date.now()), 'history is in the past');
});

test('demo server: simulated users type, talk, come and go; edits and deletes happen', async () => {
  const { demo, session, events } = await setup(60);
  await session.connect(new AbortController().signal);
  const msgs = (): Omit<MessageEvent, 'profile'>[] => events.filter((e): e is Omit<MessageEvent, 'profile'> => e.type === 'message');
  await waitFor(() => msgs().length >= 3, 'live messages');
  // typing before the message, by the same user (a message whose typing started before we connected may lack it)
  const typedFirst = (m: Omit<MessageEvent, 'profile'>): boolean => {
    const idx = events.indexOf(m as ConnectorEvent);
    return events.slice(0, idx).some((e) => e.type === 'typing' && e.typing && e.user.id === m.author.id && e.room === m.room);
  };
  await waitFor(() => msgs().some(typedFirst), 'a message preceded by its typing frames');
  const presence = await waitFor(() => events.find((e) => e.type === 'presence' && e.online.length > 1), 'presence');
  assert.ok(presence.type === 'presence' && presence.online.some((u) => u.id === demo.userId));
  await waitFor(() => events.some((e) => e.type === 'message.edit') && events.some((e) => e.type === 'message.delete'), 'an edit and a delete', 30_000);
  await waitFor(
    () => events.filter((e) => e.type === 'presence').length >= 3 + demo.rooms.length,
    'join/leave presence changes',
    30_000,
  );
});

test('demo server: sending gets a reply from a simulated user', async () => {
  const { demo, session, events } = await setup(40);
  await session.connect(new AbortController().signal);
  const room = demo.rooms[2]!;
  const sent = await session.send(room, 'hello from the test', 'txn-1');
  assert.equal(sent.txnId, 'txn-1');
  assert.equal(sent.author.id, demo.userId);
  assert.equal(sent.text, 'hello from the test');
  const reply = await waitFor(
    () =>
      events.find(
        (e): e is Omit<MessageEvent, 'profile'> => e.type === 'message' && e.room === room && e.author.id !== demo.userId && Date.parse(e.time) >= Date.parse(sent.time),
      ),
    'a reply',
  );
  assert.ok(reply.author.name.length > 0);
});

test('demo server: a wrong token is refused (4001)', async () => {
  const { session, demo } = await setup(1, 'not-the-token');
  await assert.rejects(session.connect(new AbortController().signal), (e: unknown) => e instanceof ChatError && e.code === 'auth');
  const r = await fetch(`${demo.url}/api/v1/rooms/`, { headers: { 'x-api-key': 'nope' } });
  assert.equal(r.status, 401);
  await r.body?.cancel();
});
