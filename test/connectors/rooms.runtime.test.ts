import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createRoomsSession, definition } from '../../src/connectors/rooms/index.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { BOB, CAROL, ME, startRoomsServer, type RoomsTestServer } from '../servers/rooms/server.js';
import { until as waitUntil } from './until.js';

// The rooms connector under the real runtime and store: what the TUI shows for a rooms profile.

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** {@link waitUntil} with this file's 5 s default. */
const until = (cond: () => boolean, what: string, ms = 5000): Promise<void> => waitUntil(cond, what, ms);

async function setup(): Promise<{ s: RoomsTestServer; rt: ChatRuntime; store: SessionStore }> {
  const s = await startRoomsServer({
    rooms: [
      { id: 11, name: 'general', occupants: [ME, BOB, CAROL] },
      { id: 12, name: null, occupants: [ME, BOB] },
    ],
    messages: [
      { room: 12, poster: BOB, message: 'dm before', timestamp: 1601200000 },
      ...Array.from({ length: 150 }, (_, i) => ({ room: 11, poster: [BOB, CAROL, ME][i % 3] as string, message: `old ${i + 1}`, timestamp: 1601300000 + i })),
    ],
  });
  const def: ConnectorDefinition = { ...definition, create: (ctx) => createRoomsSession(ctx, { echoTimeoutMs: 400 }) };
  const profile: NamedProfile = { name: 'r', service: 'rooms', url: s.url, token: s.token, aliases: { [BOB]: 'Bob' } };
  const store = new SessionStore({ notifyIntervalMs: 0 });
  const rt = new ChatRuntime({
    profiles: [profile],
    resolveToken: async (p) => p.token,
    saveProfile: async () => {},
    store,
    getConnector: (id) => (id === 'rooms' ? def : undefined),
    backoff: { baseMs: 20, capMs: 50 },
    maxSendAttempts: 2,
  });
  cleanups.push(async () => {
    await rt.stop();
    await s.close();
  });
  await rt.start();
  return { s, rt, store };
}

test('runtime: rooms with names, live messages, history pages, sends confirmed by echo or failed, DMs', async () => {
  const { s, rt, store } = await setup();
  const k11 = roomKey('r', '11');
  const k12 = roomKey('r', '12');
  await until(() => store.getState().rooms[k11]?.name === 'general' && store.getState().rooms[k12]?.name === 'Bob', 'named rooms');
  assert.equal(store.getState().profiles.r?.state, 'connected');
  assert.deepEqual(store.getState().profiles.r?.me, { id: ME, name: 'Ada' });
  assert.equal(store.getState().profiles.r?.capabilities.typingSend, false);
  assert.deepEqual(store.getState().rooms[k12]?.members.map((u) => u.name).sort(), ['Ada', 'Bob']);

  // History: the newest page, then the older rest.
  await rt.loadOlder(k11);
  let msgs = store.getState().rooms[k11]?.messages ?? [];
  assert.equal(msgs.length, 100);
  assert.equal(msgs.at(-1)?.text, 'old 150');
  await rt.loadOlder(k11);
  msgs = store.getState().rooms[k11]?.messages ?? [];
  assert.deepEqual(msgs.map((m) => m.text), Array.from({ length: 150 }, (_, i) => `old ${i + 1}`));

  // Live message in room 12.
  s.post(12, BOB, 'hey Ada');
  await until(() => (store.getState().rooms[k12]?.messages ?? []).some((m) => m.text === 'hey Ada'), 'the live message');
  const live = store.getState().rooms[k12]?.messages.find((m) => m.text === 'hey Ada');
  assert.equal(live?.author.name, 'Bob');
  assert.equal(live?.mention, true);

  // A send: pending at once, then confirmed by the echo, shown once.
  rt.send(k12, 'hi Bob');
  await until(() => (store.getState().rooms[k12]?.messages ?? []).some((m) => m.text === 'hi Bob' && m.status === 'sent'), 'the confirmed send');
  const mine = (store.getState().rooms[k12]?.messages ?? []).filter((m) => m.text === 'hi Bob');
  assert.equal(mine.length, 1);
  assert.equal(mine[0]?.id, String(s.messages.at(-1)?.id));

  // We are removed from room 11: the server drops the send silently; no echo → failed, kept.
  const r11 = s.rooms.get(11);
  if (r11) r11.occupants = [BOB, CAROL];
  rt.send(k11, 'anyone?');
  await until(() => (store.getState().rooms[k11]?.messages ?? []).some((m) => m.text === 'anyone?' && m.status === 'failed'), 'the failed send', 10_000);
  const failed = store.getState().rooms[k11]?.messages.find((m) => m.text === 'anyone?');
  assert.match(failed?.error ?? '', /no echo/);
  assert.equal(s.messages.filter((m) => m.message === 'anyone?').length, 0);

  // DM: a notice text; the new room appears with its first message.
  const notice = await rt.dm('r', CAROL);
  assert.match(notice, /appears here with its first message/);
  const dmRoom = Math.max(...s.rooms.keys());
  s.post(dmRoom, CAROL, 'hello from the DM');
  await until(() => store.getState().rooms[roomKey('r', String(dmRoom))]?.name === CAROL, 'the DM room, named by its occupant');
});
