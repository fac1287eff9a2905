import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// /me, /topic, /whois, /nick.

const GENERAL = roomKey('demo', 'general');
const RANDOM = roomKey('demo', 'random');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
async function open(rt: TestRuntime): Promise<Mounted> {
  current = await mount(rt, { columns: 140 });
  return current;
}
const status = (ui: Mounted): string => ui.lines().at(-1) ?? '';

describe('user commands', () => {
  test('/me sends a clearly marked emote line through the send policy', async () => {
    const rt = new TestRuntime(demoState({ caps: { maxMessageLength: 10 } }));
    const ui = await open(rt);
    await ui.press('/me waves', KEY.enter);
    assert.deepEqual(rt.sent, [{ key: GENERAL, text: '*waves*' }]);
    await ui.press('/me waves at everyone here', KEY.enter);
    assert.equal(rt.sent.length, 1, 'too long for the service: not sent');
    await ui.waitFor((f) => /too long/.test(f.split('\n').at(-1)!), 'the length refusal');
  });

  test('/topic shows the topic; setting it needs topicSet', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ topic: 'Say hello' }));
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/topic', KEY.enter);
    await ui.waitFor(() => status(ui).includes('topic of general: Say hello'), 'topic shown');
    await ui.press('/topic new one', KEY.enter);
    await ui.waitFor(() => status(ui).includes('cannot set a topic'), 'refused without the capability');
    assert.equal(rt.topics.length, 0);
    ui.unmount();
    const rt2 = new TestRuntime(demoState({ caps: { topicSet: true } }));
    const ui2 = await open(rt2);
    await ui2.press('/topic', KEY.enter);
    await ui2.waitFor(() => status(ui2).includes('general has no topic'), 'no topic');
    await ui2.press('/topic release on Friday', KEY.enter);
    await ui2.waitFor(() => rt2.topics.length === 1, 'set');
    assert.deepEqual(rt2.topics[0], { key: GENERAL, topic: 'release on Friday' });
  });

  test('/whois says id, name, presence in the shown room and the newest loaded message in any room', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({
      online: [{ id: 'u2', name: 'Bob' }],
      messages: [msg({ id: 'a', text: 'older line', author: { id: 'u2', name: 'Bob' } }, Date.UTC(2026, 0, 5, 10, 0))],
    }));
    st.setRoom(RANDOM, () => ({ messages: [msg({ id: 'b', text: 'newest line from bob', author: { id: 'u2', name: 'Bob' } }, Date.UTC(2026, 0, 5, 11, 0))] }));
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/whois @bob', KEY.enter);
    await ui.waitFor(() => status(ui).includes('Bob (id u2) · online in general · last message'), 'whois line');
    assert.match(status(ui), /in random: "newest line from bob"/);
    await ui.press('/whois nobody', KEY.enter);
    await ui.waitFor(() => status(ui).includes('no user nobody in the loaded rooms of demo'), 'unknown user');
  });

  test('/nick needs the nick capability; with it the runtime saves the name', async () => {
    const rt = new TestRuntime(demoState());
    const ui = await open(rt);
    await ui.press('/nick Johnny', KEY.enter);
    await ui.waitFor(() => status(ui).includes('no display name to change'), 'unavailable');
    ui.unmount();
    const rt2 = new TestRuntime(demoState({ caps: { nick: true } }));
    const ui2 = await open(rt2);
    await ui2.press('/nick Johnny B', KEY.enter);
    await ui2.waitFor(() => status(ui2).includes('you are now Johnny B (saved to profile demo)'), 'confirmed');
    assert.deepEqual(rt2.nicks, [{ profile: 'demo', name: 'Johnny B' }]);
  });
});
