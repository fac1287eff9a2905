import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startSocketIoServer } from '../servers/chatapi-socketio/server.js';
import { startV2Server } from '../servers/chatapi-v2/server.js';
import { ROOT, Tmux, e2eSuite } from './tmux.js';

/**
 * The full-screen app with a chatapi profile of each real server — the Go ChatAPI (`v2`) and the
 * Python one (`socketio`) — in a real terminal (tmux), the protocol found by `profile add`'s probe:
 * the room named, history on open, a live message arriving, a message typed and sent reaching the
 * server. (The Doc B transport is the demo's, test/e2e/demo.test.ts.)
 */

const { skip, sessions, closers } = e2eSuite();

/** Runs the built CLI in the tmux session's config directory (async: the test servers run in this process). */
async function cli(t: Tmux, args: string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'chat-tui.js'), ...args], { env: t.env() })).stdout;
}

async function openTui(t: Tmux, profile: string): Promise<void> {
  t.start();
  await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
  t.type(`node bin/chat-tui.js --profile ${profile}; echo "EXIT=$?"`);
  t.keys('Enter');
}

const ROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';

describe('the TUI with the real ChatAPI servers (tmux)', { skip: skip ?? false }, () => {
  test('v2 (the Go server): probed, history on open, live message, sending', async () => {
    const s = await startV2Server({ rooms: [{ room_id: ROOM, type: 'group', name: 'general', members: ['alice', 'bob'] }] });
    closers.push(() => s.close());
    for (let i = 0; i < 20; i++) s.post(ROOM, 'bob', `earlier ${i}`);
    const t = new Tmux(100, 28);
    sessions.push(t);
    await cli(t, ['profile', 'add', 'go', '--service', 'chatapi', '--url', s.url, '--token', s.token('alice'), '--room', ROOM]);
    assert.match(await cli(t, ['profile', 'show', 'go']), /^protocol: v2$/m);
    await openTui(t, 'go');
    await t.waitFor((x) => /#general/.test(x), 'the room by its name', 20_000);
    await t.waitFor((x) => x.includes('earlier 19'), 'history on open');
    s.post(ROOM, 'bob', 'live from go');
    await t.waitFor((x) => x.includes('live from go'), 'a live message');
    t.type('hello v2');
    t.keys('Enter');
    await t.waitFor(() => s.messages.get(ROOM)?.some((m) => m.content === 'hello v2' && m.sender_id === 'alice'), 'the server got the message');
    await t.waitFor((x) => x.includes('hello v2') && !x.includes('⧗'), 'confirmed in the pane');
    t.keys('C-c');
    await t.waitFor((x) => /EXIT=0/.test(x), 'exit 0', 10_000);
  });

  test('socketio (the Python server): probed, history on open, live message, sending', async () => {
    const s = await startSocketIoServer({ rooms: [{ id: ROOM, name: 'general', members: ['alice', 'bob'] }] });
    closers.push(() => s.close());
    for (let i = 0; i < 20; i++) s.store(ROOM, 'bob', 'Bob', `earlier ${i}`);
    const t = new Tmux(100, 28);
    sessions.push(t);
    await cli(t, ['profile', 'add', 'py', '--service', 'chatapi', '--url', s.url, '--token', 'scoped-key-alice', '--user-id', 'alice', '--user-name', 'Alice']);
    assert.match(await cli(t, ['profile', 'show', 'py']), /^protocol: socketio$/m);
    await openTui(t, 'py');
    await t.waitFor((x) => /#general/.test(x), 'the room from get_rooms', 20_000);
    await t.waitFor((x) => x.includes('earlier 19'), 'history on open');
    s.post(ROOM, 'bob', 'Bob', 'live from python');
    await t.waitFor((x) => x.includes('live from python'), 'a live message');
    t.type('hello socketio');
    t.keys('Enter');
    await t.waitFor(() => s.messages.get(ROOM)?.some((m) => m.content === 'hello socketio' && m.sender_user_id === 'alice'), 'the server got the message');
    await t.waitFor((x) => x.includes('hello socketio') && !x.includes('⧗'), 'confirmed in the pane');
    t.keys('C-c');
    await t.waitFor((x) => /EXIT=0/.test(x), 'exit 0', 10_000);
  });
});
