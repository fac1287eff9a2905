import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { firstRoomKey, firstRoomReady } from '../../src/ui/run.js';
import { demoState, msg, TestRuntime, type TestStore } from './fixtures.js';
import { mount } from './harness.js';

/**
 * The first frame (bench `startup_ms`): runTui waits — briefly — until the room the App shows first
 * has its messages, asking for the first history page once the profile is connected, and the App shows
 * that room from its very first frame.
 */

/** A runtime whose `loadOlder` the test completes by hand. */
class HistoryRuntime extends TestRuntime {
  pending: (() => void)[] = [];
  override async loadOlder(key: string): Promise<void> {
    this.older.push(key);
    await new Promise<void>((resolve) => this.pending.push(resolve));
  }
}

function connecting(): TestStore {
  const st = demoState({ state: 'reconnecting' });
  st.set((s) => ({ profiles: { demo: { ...s.profiles.demo!, state: 'connecting' } } }));
  st.setRoom('demo\u0000general', () => ({ hasMoreHistory: true }));
  return st;
}

/** Whether `p` has settled after the event loop had a turn. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await delay(5);
  return done;
}

describe('firstRoomReady', () => {
  it('asks for the first room once the profile is connected and resolves when the page is back', async () => {
    const store = connecting();
    const rt = new HistoryRuntime(store);
    const key = firstRoomKey(store);
    assert.equal(key, 'demo\u0000general');
    const ready = firstRoomReady(rt, 10_000);
    assert.equal(await settled(ready), false);
    assert.deepEqual(rt.older, [], 'nothing asked before the profile is connected');
    store.set((s) => ({ profiles: { demo: { ...s.profiles.demo!, state: 'connected' } } }));
    assert.deepEqual(rt.older, [key], 'the first page of the first room, once');
    store.setRoom(key!, () => ({ loadingHistory: true }));
    assert.deepEqual(rt.older, [key]);
    assert.equal(await settled(ready), false, 'still waiting for the page');
    rt.pending.shift()!();
    assert.equal(await settled(ready), true);
  });

  it("reacts to the runtime's event hook without waiting for the store's (once per frame) notification", async () => {
    const store = connecting();
    const rt = new HistoryRuntime(store);
    const hooks = new Set<() => void>();
    const withEvents = Object.assign(rt, {
      onEvent(l: () => void): () => void {
        hooks.add(l);
        return () => hooks.delete(l);
      },
    });
    // a store that has not told its subscribers yet
    const silent = Object.assign(Object.create(store) as TestStore, { subscribe: () => () => {} });
    Object.defineProperty(withEvents, 'store', { value: silent });
    const ready = firstRoomReady(withEvents, 10_000);
    store.set((s) => ({ profiles: { demo: { ...s.profiles.demo!, state: 'connected' } } }));
    assert.deepEqual(rt.older, [], 'nothing seen yet: neither the store nor the runtime told');
    for (const h of hooks) h();
    assert.deepEqual(rt.older, ['demo\u0000general']);
    rt.pending.shift()!();
    assert.equal(await settled(ready), true);
    assert.equal(hooks.size, 0, 'the hook is removed once ready');
  });

  it('resolves at once when the room already has messages, or its profile failed, or the service has no history', async () => {
    const withMessages = demoState();
    withMessages.setRoom('demo\u0000general', () => ({ messages: [msg({ text: 'hi' })] }));
    assert.equal(await settled(firstRoomReady(new HistoryRuntime(withMessages), 10_000)), true);

    const failed = demoState({ state: 'failed' });
    const rt = new HistoryRuntime(failed);
    assert.equal(await settled(firstRoomReady(rt, 10_000)), true);
    assert.deepEqual(rt.older, []);

    const noHistory = demoState({ caps: { history: false } });
    assert.equal(await settled(firstRoomReady(new HistoryRuntime(noHistory), 10_000)), true);
  });

  it('gives up after the cap when the profile does not connect', async () => {
    const rt = new HistoryRuntime(connecting());
    const ready = firstRoomReady(rt, 40);
    assert.equal(await settled(ready), false);
    await delay(60);
    assert.equal(await settled(ready), true);
    assert.deepEqual(rt.older, []);
  });
});

describe('the App shows the first room from its first frame', () => {
  it('the very first frame already has the first room and its messages', async () => {
    const store = demoState();
    store.setRoom('demo\u0000general', () => ({ messages: [msg({ text: 'first words in general' })], hasMoreHistory: false }));
    const ui = await mount(new TestRuntime(store), { columns: 100, rows: 20 });
    try {
      const first = ui.stdout.frames.find((f) => f.trim().length > 0) ?? '';
      assert.match(first, /first words in general/);
    } finally {
      ui.unmount();
    }
  });
});
