import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createChatApiSession, definition as chatapiDef } from '../../src/connectors/chatapi/index.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { createGlimeshSession, definition as glimeshDef } from '../../src/connectors/glimesh/index.js';
import { createRoomsSession, definition as roomsDef } from '../../src/connectors/rooms/index.js';
import { definition as talkeeDef } from '../../src/connectors/talkee/index.js';
import { Backoff } from '../../src/core/reconnect.js';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { startSocketIoServer } from '../servers/chatapi-socketio/server.js';
import { startV2Server } from '../servers/chatapi-v2/server.js';
import { startGlimeshServer } from '../servers/glimesh/server.js';
import { BOB, ME, startRoomsServer } from '../servers/rooms/server.js';
import { base64, startTalkeeServer } from '../servers/talkee/server.js';
import { until } from './until.js';

// A send the server stored and then answered with a 500, or whose connection it dropped: through the
// runtime's outbox, the server holds one copy and the store shows one (the outbox looks before it
// posts again: the live echo, else the room's newest messages).

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});


/** A runtime over one profile of `def`, with short outbox backoffs. */
async function runtime(def: ConnectorDefinition, profile: NamedProfile): Promise<{ rt: ChatRuntime; store: SessionStore }> {
  const store = new SessionStore({ notifyIntervalMs: 0 });
  const rt = new ChatRuntime({
    profiles: [profile],
    resolveToken: async (p) => p.token,
    saveProfile: async () => {},
    store,
    getConnector: (id) => (id === def.id ? def : undefined),
    backoff: { baseMs: 20, capMs: 50 },
    maxSendAttempts: 5,
  });
  cleanups.push(() => rt.stop());
  await rt.start();
  return { rt, store };
}

/** Sends `text` to `key` and waits until the store shows it sent and the outbox is empty; returns the store's copies of it. */
async function sendAndSettle(rt: ChatRuntime, store: SessionStore, key: string, text: string): Promise<number> {
  rt.send(key, text);
  await until(() => (store.getState().rooms[key]?.messages ?? []).some((m) => m.text === text && m.status === 'sent') && rt.outboxEntries().length === 0, `"${text}" sent`);
  await new Promise((r) => setTimeout(r, 150)); // a second post (the bug) would have come by now
  return (store.getState().rooms[key]?.messages ?? []).filter((m) => m.text === text).length;
}

describe('a send the server stored before it failed is not posted again', () => {
  const ROOM = '550e8400-e29b-41d4-a716-446655440001';
  for (const mode of ['500', 'drop'] as const) {
    for (const broadcast of [true, false]) {
      test(`chatapi (docs): stored, then ${mode === '500' ? 'HTTP 500' : 'the connection dropped'}; ${broadcast ? 'the live echo came' : 'no echo: found in history'}`, async () => {
        const s = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general' }] });
        cleanups.push(() => s.close());
        const { rt, store } = await runtime(chatapiDef, { name: 'c', service: 'chatapi', protocol: 'docs', url: s.url, token: s.apiKey, userId: 'user_123', userName: 'John Doe', rooms: [ROOM] });
        const key = roomKey('c', ROOM);
        await until(() => store.getState().profiles.c?.state === 'connected', 'connected');
        s.storeThenFail(mode, { broadcast });
        const text = `once ${mode} ${broadcast}`;
        const shown = await sendAndSettle(rt, store, key, text);
        assert.equal(s.messages.get(ROOM)?.filter((m) => m.content === text).length, 1, 'one copy on the server');
        assert.equal(shown, 1, 'one copy in the store');
        const posts = s.requests.filter((r) => r.method === 'POST' && (r.body as { content?: string } | undefined)?.content === text);
        assert.equal(posts.length, 1, 'posted once');
        assert.match(String((posts[0]?.body as { meta?: { client_message_id?: unknown } }).meta?.client_message_id), /^[0-9a-f-]{36}$/, 'the send carries its key');
      });
    }
  }

  for (const mode of ['500', 'drop'] as const) {
    test(`talkee: stored, then ${mode === '500' ? 'HTTP 500' : 'the connection dropped'}; found in the recent messages by its id`, async () => {
      const s = await startTalkeeServer();
      cleanups.push(() => s.close());
      const { rt, store } = await runtime(talkeeDef, { name: 't', service: 'talkee', url: s.url, apiUrl: s.apiUrl, siteId: 2, rooms: ['lobby'], token: s.token });
      const key = roomKey('t', 'lobby');
      await until(() => store.getState().profiles.t?.state === 'connected', 'connected');
      s.storeThenFail(mode);
      const text = `once ${mode}`;
      const shown = await sendAndSettle(rt, store, key, text);
      assert.equal(s.messages.filter((m) => m.data === base64(text)).length, 1, 'one copy on the server');
      assert.equal(shown, 1, 'one copy in the store');
      assert.equal(s.requests.filter((r) => r.method === 'POST' && r.path === '/ws/messages').length, 1, 'posted once');
    });
  }

  for (const mode of ['500', 'drop'] as const) {
    test(`glimesh: stored, then ${mode === '500' ? 'phx_error (a crash) without a reply' : 'the socket dropped'}`, async () => {
      const s = await startGlimeshServer();
      cleanups.push(() => s.close());
      const def: ConnectorDefinition = { ...glimeshDef, create: (ctx) => createGlimeshSession(ctx, { backoff: () => new Backoff({ baseMs: 20, capMs: 50 }), pushTimeoutMs: 1000 }) };
      const { rt, store } = await runtime(def, { name: 'g', service: 'glimesh', url: s.url, token: s.token, rooms: ['6'] });
      const key = roomKey('g', '6');
      await until(() => store.getState().profiles.g?.state === 'connected', 'connected');
      s.state.storeThenFail = mode;
      const text = `once ${mode}`;
      const shown = await sendAndSettle(rt, store, key, text);
      assert.equal(s.messages.filter((m) => m.message === text).length, 1, 'one copy on the server');
      assert.equal(shown, 1, 'one copy in the store');
      assert.equal(s.mutations.filter((m) => m.text === text).length, 1, 'posted once');
    });
  }

  for (const mode of ['drop', 'no-echo'] as const) {
    test(`rooms: stored, then ${mode === 'drop' ? 'the socket dropped before the echo' : 'no echo'}: failed or confirmed, a retry by hand finds it`, async () => {
      const s = await startRoomsServer({ rooms: [{ id: 11, name: 'general', occupants: [ME, BOB] }], messages: [] });
      cleanups.push(() => s.close());
      const def: ConnectorDefinition = { ...roomsDef, create: (ctx) => createRoomsSession(ctx, { echoTimeoutMs: 400 }) };
      const { rt, store } = await runtime(def, { name: 'r', service: 'rooms', url: s.url, token: s.token });
      const key = roomKey('r', '11');
      await until(() => store.getState().profiles.r?.state === 'connected', 'connected');
      s.hooks.storeThenFail = mode;
      const text = `once ${mode}`;
      const txn = rt.send(key, text);
      const status = (): string | undefined => (store.getState().rooms[key]?.messages ?? []).find((m) => m.txnId === txn)?.status;
      await until(() => status() === 'failed' || status() === 'sent', 'the send settled', 10_000);
      // No echo: the send failed (kept, red; the server drops sends to rooms we are not in without a word).
      if (status() === 'failed') {
        await until(() => store.getState().profiles.r?.state === 'connected', 'connected again');
        assert.ok(rt.retry(key, txn));
      }
      await until(() => status() === 'sent' && rt.outboxEntries().length === 0, 'confirmed', 10_000);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(s.messages.filter((m) => m.message === text).length, 1, 'one copy on the server');
      assert.equal((store.getState().rooms[key]?.messages ?? []).filter((m) => m.text === text).length, 1, 'one copy in the store');
    });
  }

  for (const [mode, broadcast] of [['500', true], ['drop', true], ['500', false], ['drop', false]] as const) {
    test(`chatapi (v2): stored, then ${mode === '500' ? 'HTTP 500' : 'the connection dropped'}; ${broadcast ? 'the live echo came' : 'no echo: found in history'}`, async () => {
      const V2ROOM = '7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a01';
      const s = await startV2Server({ rooms: [{ room_id: V2ROOM, type: 'group', name: 'general', members: ['alice', 'bob'] }] });
      cleanups.push(() => s.close());
      const { rt, store } = await runtime(chatapiDef, { name: 'v', service: 'chatapi', protocol: 'v2', url: s.url, token: s.token('alice'), rooms: [V2ROOM] });
      const key = roomKey('v', V2ROOM);
      await until(() => store.getState().profiles.v?.state === 'connected', 'connected');
      s.storeThenFail(mode, { broadcast });
      const text = `once ${mode} ${broadcast}`;
      const shown = await sendAndSettle(rt, store, key, text);
      assert.equal(s.messages.get(V2ROOM)?.filter((m) => m.content === text).length, 1, 'one copy on the server');
      assert.match(s.messages.get(V2ROOM)?.find((m) => m.content === text)?.meta ?? '', /^\{"client_message_id":"[0-9a-f-]{36}"\}$/, 'stored with its key');
      assert.equal(shown, 1, 'one copy in the store');
    });
  }

  for (const mode of ['drop', 'no-echo'] as const) {
    test(`chatapi (socketio): stored, then ${mode === 'drop' ? 'the connection cut before the echo' : 'no echo'}`, async () => {
      const SROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';
      const s = await startSocketIoServer({ rooms: [{ id: SROOM, name: 'general', members: ['alice', 'bob'] }] });
      cleanups.push(() => s.close());
      const def: ConnectorDefinition = { ...chatapiDef, create: (ctx) => createChatApiSession(ctx, { echoTimeoutMs: 400 }) };
      const { rt, store } = await runtime(def, { name: 's', service: 'chatapi', protocol: 'socketio', url: s.url, token: 'scoped-key-alice', userId: 'alice', userName: 'Alice', rooms: [SROOM] });
      const key = roomKey('s', SROOM);
      await until(() => store.getState().profiles.s?.state === 'connected', 'connected');
      s.storeThenFail(mode);
      const text = `once ${mode}`;
      const shown = await sendAndSettle(rt, store, key, text);
      assert.equal(s.messages.get(SROOM)?.filter((m) => m.content === text).length, 1, 'one copy on the server');
      assert.equal(shown, 1, 'one copy in the store');
    });
  }
});
