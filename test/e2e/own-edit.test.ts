import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildMissing, demoMissing, messageRows, startDemo, type Tmux, tmuxMissing } from './tmux.js';

/** End-to-end: editing and deleting your own message in `chat-tui demo` (Doc B PUT/DELETE) in a real terminal (tmux). */

const skip = tmuxMissing() ?? buildMissing() ?? demoMissing();
const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});
const paneHas = (s: string, text: string): boolean => s.split('\n').some((l) => l.includes(' │ ') && l.includes(text));

describe('own edits in tmux', { skip: skip ?? false }, () => {
  test('Up on an empty line edits the last message in place (edited mark), /delete deletes it (100×30)', async () => {
    const t = await startDemo(sessions, 100, 30);
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages in the pane', 20_000);
    const tag = `e2e${process.pid}`;
    t.type(`helo ${tag}`);
    t.keys('Enter');
    await t.waitFor((s) => paneHas(s, `helo ${tag}`) && !s.includes('⧗'), 'sent and confirmed');
    t.keys('Up');
    await t.waitFor((s) => s.includes(`✎ helo ${tag}`) && s.includes('Enter saves'), 'edit mode with the last message');
    t.keys('C-a', 'Right', 'Right', 'Right');
    t.type('l');
    t.keys('Enter');
    await t.waitFor((s) => s.split('\n').some((l) => l.includes(`hello ${tag}`) && l.includes('(edited)')) || (paneHas(s, `hello ${tag}`) && s.includes('(edited)')), 'the edit shows, marked edited');
    t.type('/delete');
    t.keys('Enter');
    await t.waitFor((s) => !paneHas(s, `hello ${tag}`) && s.includes('deleted your message'), 'deleted');
    t.keys('C-c');
    const end = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the app exited', 10_000);
    assert.match(end, /EXIT=0/);
  });
});
