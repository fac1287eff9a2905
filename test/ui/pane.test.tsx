/** @jsxRuntime automatic */
/** @jsxImportSource react */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Profiler } from 'react';
import { roomKey } from '../../src/core/state.js';
import { MessagePane } from '../../src/ui/components/MessagePane.js';
import { TypingBar } from '../../src/ui/components/TypingBar.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { type Mounted, mount } from './harness.js';

/** Typing/presence changes re-render the typing bar, not the message pane; messages do. */

const GENERAL = roomKey('demo', 'general');
let ui: Mounted | undefined;
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});

test('the message pane re-renders for messages, not for typing or presence; the typing bar the other way round', async () => {
  const st = demoState();
  st.setRoom(GENERAL, () => ({ messages: [msg({ id: 'a', text: 'hello' })] }));
  const renders = { pane: 0, bar: 0 };
  const node = (
    <>
      <Profiler id="pane" onRender={() => renders.pane++}>
        <MessagePane roomKey={GENERAL} width={80} height={10} scroll={{ pos: null }} canLoadOlder={false} />
      </Profiler>
      <Profiler id="bar" onRender={() => renders.bar++}>
        <TypingBar roomKey={GENERAL} width={80} showTyping showPresence />
      </Profiler>
    </>
  );
  ui = await mount(new TestRuntime(st), { node, columns: 80, rows: 12 });
  const base = { ...renders };
  st.setRoom(GENERAL, () => ({ typing: [{ user: { id: 'j', name: 'Jane' }, until: Date.now() + 60_000 }] }));
  await ui.waitFor((f) => f.includes('Jane is typing…'), 'typing shown');
  st.setRoom(GENERAL, () => ({ online: [{ id: 'j', name: 'Jane' }] }));
  await ui.waitFor((f) => f.includes('1 online'), 'presence shown');
  assert.equal(renders.pane, base.pane, 'pane not re-rendered by typing/presence');
  assert.ok(renders.bar > base.bar);
  const bar = renders.bar;
  st.setRoom(GENERAL, (r) => ({ messages: [...r.messages, msg({ id: 'b', text: 'a new message' })] }));
  await ui.waitFor((f) => f.includes('a new message'), 'message shown');
  assert.ok(renders.pane > base.pane, 'pane re-rendered for a message');
  assert.equal(renders.bar, bar, 'typing bar not re-rendered by a message');
});
