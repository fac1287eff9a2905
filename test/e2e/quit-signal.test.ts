import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { buildMissing, Tmux, tmuxMissing } from './tmux.js';

/**
 * In a real terminal (tmux): a Ctrl-C typed the moment the first frame is on screen is a quit (exit 0),
 * not a SIGINT of a terminal still in cooked mode (exit 130); and once the TUI has been quit (the terminal is back in cooked mode, so a
 * Ctrl-C is a SIGINT again) a second Ctrl-C or a SIGTERM while it is stopping does not kill it before
 * the stop is done (the archive's last batch is written there); the exit code is the quit's.
 */
const skip = tmuxMissing() ?? buildMissing();
const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});

describe('Ctrl-C at the edges of a TUI run (tmux)', { skip: skip ?? false }, () => {
  test('Ctrl-C as soon as the first frame shows: a quit, exit 0', async () => {
    for (let round = 0; round < 5; round++) {
      const t = new Tmux(80, 20);
      sessions.push(t);
      t.start();
      await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
      t.type('clear; node bin/chat-tui.js demo; echo "EXIT=$?"');
      t.keys('Enter');
      // Poll faster than waitFor: the gap this guards against was ~100 ms after the first message rows.
      const end = Date.now() + 20_000;
      while (!t.capture().includes('│') && Date.now() < end) await delay(5);
      t.keys('C-c');
      const screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the exit code', 10_000);
      assert.match(screen, /EXIT=0\b/, `round ${round + 1}:\n${screen}`);
      t.close();
    }
  });


  test('Ctrl-C twice: the stop finishes, exit 0', async () => {
    const t = new Tmux(80, 20);
    sessions.push(t);
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'chat-tui-quit-')), 'stopped');
    t.start();
    await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
    t.type(`clear; node --import tsx test/e2e/fixtures/slow-stop.ts ${marker}; echo "EXIT=$?"`);
    t.keys('Enter');
    await t.waitFor((s) => s.includes('›'), 'the composer', 20_000);
    t.keys('C-c');
    await t.waitFor((s) => !s.includes('›'), 'the TUI gone from the screen');
    await delay(200);
    t.keys('C-c');
    const screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the exit code', 10_000);
    assert.match(screen, /EXIT=0\b/, screen);
    assert.ok(existsSync(marker) && readFileSync(marker, 'utf8') === 'stopped', 'the stop ran to its end');
  });
});
