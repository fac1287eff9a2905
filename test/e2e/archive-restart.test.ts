import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { startV2Server } from '../servers/chatapi-v2/server.js';
import { ROOT, Tmux, e2eSuite } from './tmux.js';

/**
 * A restart in a real terminal (tmux): the archive paints what the last run saw at once, the
 * connection (begun right after that first frame) merges the server's page in by id — what was missed
 * appears, the archived rows are confirmed — and with the server gone the archived rows stay, marked
 * `┆` (from the archive, not confirmed).
 */

const { skip, sessions, closers } = e2eSuite();

const ROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a02';
const row = (screen: string, text: string): string | undefined => screen.split('\n').find((l) => l.includes(text));

describe('restart from the archive (tmux)', { skip: skip ?? false }, () => {
  test('the last run\'s messages at once, then the server\'s page merged in; without the server they stay, marked ┆', async () => {
    const s = await startV2Server({ rooms: [{ room_id: ROOM, type: 'group', name: 'general', members: ['alice', 'bob'] }] });
    let closed = false;
    closers.push(async () => {
      if (!closed) await s.close();
    });
    // A few ms apart: the timeline orders by (time, id), and ids here are UUIDs.
    for (let i = 0; i < 5; i++) {
      s.post(ROOM, 'bob', `seen before ${i}`);
      await delay(3);
    }
    const t = new Tmux(100, 28);
    sessions.push(t);
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'chat-tui.js'), 'profile', 'add', 'go', '--service', 'chatapi', '--url', s.url, '--token', s.token('alice'), '--room', ROOM], { env: t.env() });
    t.start();
    await t.waitFor((x) => /^[$#] ?$/m.test(x), 'shell prompt');
    const run = async (): Promise<void> => {
      t.type('clear; node bin/chat-tui.js --profile go; echo "EXIT=$?"');
      t.keys('Enter');
    };
    const quit = async (): Promise<void> => {
      t.keys('C-c');
      await t.waitFor((x) => /EXIT=0/.test(x), 'exit 0', 10_000);
    };
    await run();
    await t.waitFor((x) => (row(x, 'seen before 4') ?? '').includes('│ seen before 4'), 'the first run sees the history, confirmed', 20_000);
    await quit();

    s.post(ROOM, 'bob', 'posted while away');
    await run();
    const screen = await t.waitFor((x) => x.includes('posted while away') && (row(x, 'seen before 4') ?? '').includes('│'), 'the missed message, and the archived rows confirmed', 20_000);
    const order = ['seen before 3', 'seen before 4', 'posted while away'].map((m) => screen.indexOf(m));
    assert.deepEqual([...order].sort((a, b) => a - b), order, `in order:\n${screen}`);
    assert.equal(screen.split('seen before 4').length, 2, 'not doubled');
    await quit();

    await s.close();
    closed = true;
    await run();
    const away = await t.waitFor((x) => (row(x, 'posted while away') ?? '').includes('┆'), 'with the server gone: the archived rows, marked ┆', 15_000);
    assert.ok((row(away, 'seen before 0') ?? '').includes('┆'));
    await quit();
  });
});
