import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildMissing, demoMissing, messageRows, startDemo, type Tmux, tmuxMissing } from './tmux.js';

/** End-to-end: Ctrl-R reverse search of sent lines in `chat-tui demo` in a real terminal (tmux). */

const skip = tmuxMissing() ?? buildMissing() ?? demoMissing();
const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});

describe('reverse search in tmux', { skip: skip ?? false }, () => {
  test('Ctrl-R finds a sent line, Enter takes it back into the composer, Enter then sends it (100×30)', async () => {
    const t = await startDemo(sessions, 100, 30);
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages in the pane', 20_000);
    const tag = `e2e${process.pid}`;
    for (const line of [`alpha ${tag}`, `beta ${tag}`]) {
      t.type(line);
      t.keys('Enter');
      await t.waitFor((s) => s.split('\n').some((l) => l.includes(' │ ') && l.includes(line)), `sent ${line}`);
    }
    t.keys('C-r');
    t.type('alp');
    await t.waitFor((s) => s.includes(`reverse-i-search 'alp': alpha ${tag}`), 'the search prompt with the match');
    t.keys('Enter');
    await t.waitFor((s) => s.includes(`› alpha ${tag}`) && !s.includes('reverse-i-search'), 'the line is back in the composer');
    t.type(' again');
    t.keys('Enter');
    await t.waitFor((s) => s.split('\n').some((l) => l.includes(' │ ') && l.includes(`alpha ${tag} again`)), 'sent again');
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=\d+/.test(s), 'the app exited', 10_000);
  });
});
