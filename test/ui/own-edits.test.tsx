import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// /edit, /delete of our own messages and Up on an empty composer (capabilities editOwn / deleteOwn).

const GENERAL = roomKey('demo', 'general');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
async function open(rt: TestRuntime): Promise<Mounted> {
  current = await mount(rt);
  return current;
}
function withMessages(over: Parameters<typeof demoState>[0]) {
  const st = demoState(over);
  st.setRoom(GENERAL, () => ({
    messages: [
      msg({ id: 'mine1', text: 'first of mine', author: { id: 'me', name: 'me' } }),
      msg({ id: 'mine2', text: 'helo world', author: { id: 'me', name: 'me' } }),
      msg({ id: 'theirs', text: 'from bob', author: { id: 'bob', name: 'bob' } }),
      msg({ id: 'local:t1', text: 'still pending', author: { id: 'me', name: 'me' }, status: 'pending' }),
    ],
  }));
  return st;
}

describe('own edits and deletes', () => {
  test('Up on an empty composer edits our newest sent message in place; Enter saves, Esc cancels', async () => {
    const rt = new TestRuntime(withMessages({ caps: { editOwn: true } }));
    const ui = await open(rt);
    await ui.press(KEY.up);
    await ui.waitFor((f) => f.includes('✎ helo world') && f.includes('editing · Enter saves · Esc cancels'), 'edit mode with our newest sent message');
    await ui.press(...Array(7).fill(KEY.left), 'l');
    await ui.press(KEY.enter);
    assert.deepEqual(rt.edited, [{ key: GENERAL, id: 'mine2', text: 'hello world' }]);
    assert.equal(rt.sent.length, 0, 'an edit is not a new message');
    await ui.waitFor((f) => !f.includes('✎') && f.includes('› '), 'the composer is empty again');
    await ui.press(KEY.up);
    await ui.waitFor((f) => f.includes('✎ helo world'), 'edit mode again');
    await ui.press(KEY.escape);
    await ui.waitFor((f) => !f.includes('✎') && !f.includes('editing ·'), 'Esc cancels the edit');
    assert.equal(rt.edited.length, 1);
  });

  test('without editOwn, Up walks the sent lines as before and /edit says why it is unavailable', async () => {
    const rt = new TestRuntime(withMessages({}));
    const ui = await open(rt);
    await ui.press('typed line', KEY.enter);
    await ui.press(KEY.up);
    await ui.waitFor((f) => f.includes('› typed line'), 'history recall');
    assert.doesNotMatch(ui.frame(), /✎/);
    await ui.press(KEY.ctrl('u'), '/edit x', KEY.enter);
    await ui.waitFor((f) => f.split('\n').at(-1)!.includes('cannot edit messages'), 'unavailable');
    assert.equal(rt.edited.length, 0);
  });

  test('/edit TEXT replaces our newest message; /delete deletes ours (newest, or by id), never another user\'s', async () => {
    const rt = new TestRuntime(withMessages({ caps: { editOwn: true, deleteOwn: true } }));
    const ui = await open(rt);
    await ui.press('/edit hello world', KEY.enter);
    await ui.waitFor(() => rt.edited.length === 1, 'edit reached the runtime');
    assert.deepEqual(rt.edited[0], { key: GENERAL, id: 'mine2', text: 'hello world' });
    await ui.press('/delete', KEY.enter);
    await ui.press('/delete mine1', KEY.enter);
    await ui.waitFor(() => rt.deleted.length === 2, 'two deletes');
    assert.deepEqual(rt.deleted.map((d) => d.id), ['mine2', 'mine1']);
    await ui.press('/delete theirs', KEY.enter);
    await ui.waitFor((f) => f.split('\n').at(-1)!.includes('no loaded message of yours with that id'), 'not ours');
    assert.equal(rt.deleted.length, 2);
    assert.equal(rt.moderated.length, 0, 'no moderation without the right');
  });

  test('/delete is hidden and unavailable with neither deleteOwn nor moderation', async () => {
    const rt = new TestRuntime(withMessages({}));
    const ui = await open(rt);
    await ui.press('/delete', KEY.enter);
    await ui.waitFor((f) => f.split('\n').at(-1)!.includes('cannot delete messages'), 'unavailable');
    assert.equal(rt.deleted.length + rt.moderated.length, 0);
  });
});
