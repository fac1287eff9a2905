import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getConnector } from '../../src/connectors/index.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';
import { startChatApiServer } from '../servers/chatapi/server.js';

/**
 * The runtime over the real chatapi connector (one WebSocket per room) and its test server: parting
 * one room is not a connection state of the profile, and a reconnect the user asks for reads the
 * profile again (RuntimeOptions.loadProfile).
 */

const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';

async function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runtime: /part and reconnect with a reloaded profile (chatapi test server)', () => {
  it('parting one room keeps the profile connected; sends in the other room go out; reconnect works', async () => {
    const s = await startChatApiServer({ rooms: [{ id: R1, name: 'general' }, { id: R2, name: 'random' }] });
    const rt = new ChatRuntime({
      profiles: [{ name: 'c', service: 'chatapi', url: s.url, token: s.apiKey, userId: 'me1', userName: 'Alice', rooms: [R1, R2] }],
      getConnector,
      resolveToken: async (p) => p.token,
      saveProfile: async () => undefined,
      store: new SessionStore({ notifyIntervalMs: 0 }),
      backoff: { baseMs: 20, capMs: 100 },
    });
    const state = (): string | undefined => rt.store.getState().profiles.c?.state;
    try {
      await rt.start();
      assert.equal(state(), 'connected');
      await rt.part(roomKey('c', R2));
      assert.equal(rt.store.getState().rooms[roomKey('c', R2)], undefined, 'the parted room is gone');
      // The parted room's socket closes after part() resolved: give its close a moment to arrive.
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(state(), 'connected', 'the profile is still connected');
      rt.send(roomKey('c', R1), 'still here');
      await until(() => (s.messages.get(R1) ?? []).some((m) => m.content === 'still here'), 'the send in the other room');
      await until(() => rt.outboxEntries().length === 0, 'the send confirmed');
      const states: string[] = [];
      rt.onEvent((ev) => {
        if (ev.type === 'connection') states.push(ev.state);
      });
      rt.reconnectNow('c');
      await until(() => states.length > 0 && state() === 'connected', 'connected again after F5');
      rt.send(roomKey('c', R1), 'after reconnect');
      await until(() => (s.messages.get(R1) ?? []).some((m) => m.content === 'after reconnect'), 'the send after reconnect');
      await until(() => state() === 'connected', 'connected');
    } finally {
      await rt.stop();
      await s.close();
    }
  });

  it('a reconnect reads the profile again: a token fixed in the config connects without a restart', async () => {
    const s = await startChatApiServer({ rooms: [{ id: R1, name: 'general' }] });
    const stored: NamedProfile = { name: 'c', service: 'chatapi', url: s.url, token: 'wrong-token', userId: 'me1', userName: 'Alice', rooms: [R1] };
    let loads = 0;
    const rt = new ChatRuntime({
      profiles: [{ ...stored }],
      getConnector,
      resolveToken: async (p) => p.token,
      saveProfile: async () => undefined,
      loadProfile: (name) => {
        loads++;
        return name === 'c' ? { ...stored } : undefined;
      },
      store: new SessionStore({ notifyIntervalMs: 0 }),
      backoff: { baseMs: 20, capMs: 100 },
    });
    const state = (): string | undefined => rt.store.getState().profiles.c?.state;
    try {
      void rt.start();
      await until(() => state() === 'failed', 'the wrong token fails');
      stored.token = s.apiKey; // the user fixes the config file
      await rt.reload('c');
      assert.equal(loads, 1, 'the profile was read again');
      await until(() => state() === 'connected', 'connected with the fixed token');
      rt.send(roomKey('c', R1), 'works now');
      await until(() => (s.messages.get(R1) ?? []).some((m) => m.content === 'works now'), 'the send with the new token');
    } finally {
      await rt.stop();
      await s.close();
    }
  });
});
