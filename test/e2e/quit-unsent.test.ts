import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildMissing, ROOT, Tmux, tmuxMissing } from './tmux.js';

/**
 * Quitting the TUI with messages still in the outbox says how many will be sent next time, in a real
 * terminal (tmux): a chatapi profile whose server is down, one message typed and sent (queued), Ctrl-C.
 */
const skip = tmuxMissing() ?? buildMissing();
const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});

async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('quitting with unsent messages (tmux)', { skip: skip ?? false }, () => {
  test('says how many will be sent the next time', async () => {
    const t = new Tmux(100, 24);
    sessions.push(t);
    const port = await deadPort();
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'chat-tui.js'), 'profile', 'add', 'down', '--service', 'chatapi', '--url', `http://127.0.0.1:${port}`,
      '--token', 'k', '--room', '550e8400-e29b-41d4-a716-446655440001', '--user-id', 'u1', '--user-name', 'Me'], { env: t.env(), stdio: 'pipe' });
    t.start();
    await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
    t.type('node bin/chat-tui.js; echo "EXIT=$?"');
    t.keys('Enter');
    await t.waitFor((s) => /›/.test(s), 'the composer');
    t.type('kept for later');
    t.keys('Enter');
    await t.waitFor((s) => s.includes('kept for later'), 'the queued message in the pane');
    t.keys('C-c');
    const screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the exit', 10_000);
    assert.match(screen, /1 unsent message will be sent the next time chat-tui runs/);
    assert.match(screen, /EXIT=0/);
  });
});
