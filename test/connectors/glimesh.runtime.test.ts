import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createGlimeshSession, definition } from '../../src/connectors/glimesh/index.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { Backoff } from '../../src/core/reconnect.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { startGlimeshServer, type GlimeshServer } from '../servers/glimesh/server.js';
import { until } from './until.js';

// The glimesh connector under the real runtime and store: what the TUI shows for glimesh profiles.

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});


async function setup(s: GlimeshServer, profiles: NamedProfile[]): Promise<{ rt: ChatRuntime; store: SessionStore }> {
  const def: ConnectorDefinition = { ...definition, create: (ctx) => createGlimeshSession(ctx, { backoff: () => new Backoff({ baseMs: 20, capMs: 50 }), pushTimeoutMs: 1000 }) };
  const store = new SessionStore({ notifyIntervalMs: 0 });
  const rt = new ChatRuntime({
    profiles,
    resolveToken: async (p) => p.token,
    saveProfile: async () => {},
    store,
    getConnector: (id) => (id === 'glimesh' ? def : undefined),
    backoff: { baseMs: 20, capMs: 50 },
    maxSendAttempts: 2,
  });
  cleanups.push(async () => {
    await rt.stop();
  });
  await rt.start();
  return { rt, store };
}

test('runtime: several channels of one profile with live chat, room headers, history and sends', async () => {
  const s = await startGlimeshServer();
  cleanups.push(() => s.close());
  for (let i = 0; i < 120; i++) s.store('6', 'Kirby', `old ${i}`);
  const { rt, store } = await setup(s, [{ name: 'g', service: 'glimesh', url: s.url, token: s.token, rooms: ['6', '9'] }]);
  const k6 = roomKey('g', '6');
  const k9 = roomKey('g', '9');
  await until(() => store.getState().profiles.g?.state === 'connected', 'connected');
  const st = store.getState();
  assert.equal(st.rooms[k6]?.name, 'Mytho');
  assert.equal(st.rooms[k6]?.topic, 'Chill stream');
  assert.equal(st.rooms[k9]?.live, true);
  // history on open (loadOlder with nothing loaded: the newest page)
  await rt.loadOlder(k6);
  const loaded = store.getState().rooms[k6]!.messages.map((m) => m.text);
  assert.equal(loaded.at(-1), 'old 119');
  // live chat in both channels
  s.post('6', 'TheCat', 'live in six');
  s.post('9', 'Kirby', 'live in nine');
  await until(() => store.getState().rooms[k9]!.messages.some((m) => m.text === 'live in nine'), 'live message in 9');
  await until(() => store.getState().rooms[k6]!.messages.some((m) => m.text === 'live in six'), 'live message in 6');
  // send: pending echo, then confirmed by the server's copy (one message, not two)
  const txn = rt.send(k6, 'from the composer');
  await until(() => store.getState().rooms[k6]!.messages.some((m) => m.text === 'from the composer' && m.status === 'sent'), 'confirmed send');
  assert.ok(txn);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(store.getState().rooms[k6]!.messages.filter((m) => m.text === 'from the composer').length, 1);
  // stream goes live: the header follows
  s.setLive('6', true, 'Now live');
  await until(() => store.getState().rooms[k6]?.live === true && store.getState().rooms[k6]?.topic === 'Now live', 'live header');
  // the owner's moderation capability is offered for token profiles
  assert.equal(rt.capabilities('g').moderation, true);
});

test('runtime: a client-id profile is read-only and says why; its sends fail locally', async () => {
  const s = await startGlimeshServer();
  cleanups.push(() => s.close());
  const { rt, store } = await setup(s, [{ name: 'ro', service: 'glimesh', url: s.url, clientId: s.clientId, rooms: ['6'] }]);
  await until(() => store.getState().profiles.ro?.state === 'connected', 'connected');
  const caps = rt.capabilities('ro');
  assert.equal(caps.readOnly, true);
  assert.match(caps.readOnlyReason ?? '', /client id/);
  rt.send(roomKey('ro', '6'), 'may I?');
  await until(() => store.getState().rooms[roomKey('ro', '6')]!.messages.some((m) => m.status === 'failed'), 'failed echo');
  assert.equal(s.mutations.length, 0);
  const m = s.post('6', 'Kirby', 'reading works');
  await until(() => store.getState().rooms[roomKey('ro', '6')]!.messages.some((x) => x.id === m.id), 'live message');
});

test('runtime: a channel configured by streamer username leaves no empty placeholder room behind', async () => {
  const s = await startGlimeshServer();
  cleanups.push(() => s.close());
  const { store } = await setup(s, [{ name: 'u', service: 'glimesh', url: s.url, token: s.token, rooms: ['mytho'] }]);
  // Before connecting, the room shows under the name the user gave.
  await until(() => store.getState().profiles.u?.state === 'connected', 'connected');
  await until(() => store.getState().rooms[roomKey('u', '6')] !== undefined, 'the resolved channel');
  const keys = store.getState().roomOrder.filter((k) => store.getState().rooms[k]?.profile === 'u');
  assert.deepEqual(keys, [roomKey('u', '6')], 'only the channel id remains, not "mytho"');
  assert.equal(store.getState().rooms[roomKey('u', '6')]?.name, 'Mytho');
});
