import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { terminalTitle } from '../../src/ui/hooks/useTerminalTitle.js';
import { demoState, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// The terminal title: `chat-tui — #general (2, @1)` (OSC 2), the title before it pushed and popped.

const RANDOM = roomKey('demo', 'random');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
const osc2 = (t: string): string => `\u001b]2;${t}\u001b\\`;

describe('terminal title', () => {
  test('names the shown room and the activity elsewhere; follows room switches and new activity; restored at the end', async () => {
    const st = demoState();
    st.addRoom({ ...st.getState().rooms[RANDOM]!, key: roomKey('demo', 'help'), id: 'help', name: 'help', unread: 2, mentions: 0 });
    st.setRoom(RANDOM, () => ({ unread: 3, mentions: 1 }));
    const ui = (current = await mount(new TestRuntime(st)));
    await ui.waitFor(() => ui.output().includes(osc2('chat-tui — #general (2, @1)')), 'title with the activity');
    assert.ok(ui.output().startsWith('\u001b[22;0t') || ui.output().includes('\u001b[22;0t'), 'the old title is pushed');
    st.setRoom(RANDOM, () => ({ unread: 0, mentions: 0 }));
    await ui.waitFor(() => ui.output().endsWith(osc2('chat-tui — #general (1)')) || ui.output().includes(osc2('chat-tui — #general (1)')), 'one room left with activity');
    await ui.press(KEY.ctrl('n'));
    await ui.waitFor(() => ui.output().includes(osc2('chat-tui — #random (1)')), 'the shown room changes the title');
    ui.unmount();
    current = undefined;
    assert.ok(ui.output().endsWith('\u001b[23;0t') || ui.output().includes('\u001b[23;0t'), 'the old title is popped at the end');
  });

  test('remote room names cannot inject escapes into the title', () => {
    const st = demoState();
    st.setRoom(roomKey('demo', 'general'), () => ({ name: 'evil\u0007\u001b]2;pwned' }));
    const t = terminalTitle(st.getState(), roomKey('demo', 'general'), 'chat-tui');
    assert.ok(!/[\u0000-\u001f]/.test(t), JSON.stringify(t));
    assert.match(t, /^chat-tui — #evil/);
  });
});
