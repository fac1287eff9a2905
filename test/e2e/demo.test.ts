import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildMissing, demoMissing, header, messageRows, roomNames, startDemo as startDemo0, type Tmux, tmuxMissing } from './tmux.js';

/**
 * End-to-end: `chat-tui demo` in a real terminal (tmux), driven by
 * keys. Needs the built CLI (npm test builds first) and tmux (CI installs it); skips with the
 * reason when tmux is missing.
 */

const skip = tmuxMissing() ?? buildMissing() ?? demoMissing();

const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});

function startDemo(columns: number, rows: number, envPrefix = '', ready?: (s: string) => boolean): Promise<Tmux> {
  return startDemo0(sessions, columns, rows, envPrefix, ready);
}

describe('chat-tui demo in tmux', { skip: skip ?? false }, () => {
  test('rooms and messages arrive, a sent message shows, rooms switch, Ctrl-C restores the terminal (100×30)', async () => {
    const t = await startDemo(100, 30);
    assert.equal(t.display('#{alternate_on}'), '1', 'full screen in the alternate screen');
    let screen = await t.waitFor((s) => messageRows(s).length >= 2, 'messages in the pane', 20_000);
    assert.match(screen.trimEnd().split('\n').at(-1)!, /demo/, 'status line names the profile');
    assert.equal(screen.split('\n').length >= 30, true);

    const text = `hello from e2e ${process.pid}`;
    t.type(text);
    t.keys('Enter');
    screen = await t.waitFor((s) => messageRows(s).some((l) => l.includes(text)), 'own message in the pane');

    const first = header(screen);
    assert.ok(first, `a room is shown:\n${screen}`);
    t.keys('C-n');
    screen = await t.waitFor((s) => header(s) !== '' && header(s) !== first, 'header shows another room');
    assert.ok(roomNames(screen).includes(header(screen)));
    t.keys('M-Up');
    await t.waitFor((s) => header(s) === first, 'Alt-Up goes back');

    t.keys('C-c');
    screen = await t.waitFor((s) => /EXIT=\d+/.test(s), 'the app exited', 10_000);
    assert.match(screen, /EXIT=0/);
    assert.equal(t.display('#{alternate_on}'), '0', 'alternate screen is off');
    assert.match(screen, /[$#] node bin\/chat-tui\.js demo/, 'the shell screen is back');
    assert.doesNotMatch(screen, / │ /, 'no TUI left on the primary screen');
    assert.equal(t.display('#{cursor_flag}'), '1', 'cursor visible again');
  });

  test('Ctrl-K switcher, help overlay, scrollback and resize at 80×24', async () => {
    const t = await startDemo(80, 24);
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages', 20_000);
    // Scrollback with a history fetch: #general holds 260 messages on the demo server and the first page
    // is 100, so paging to the top must fetch older pages (more distinct message rows than one page).
    t.keys('PageUp');
    await t.waitFor((s) => /more below|new messages? below|loading older/.test(s), 'scrolled up: marker at the bottom');
    const seen = new Set<string>();
    let unchanged = 0;
    let last = '';
    for (let i = 0; i < 80 && unchanged < 4; i++) {
      t.keys('PageUp');
      await new Promise((r) => setTimeout(r, 150));
      const screen = t.capture();
      for (const l of screen.split('\n')) {
        const pane = l.slice(l.indexOf('│') + 1);
        if (/^\d\d:\d\d /.test(pane)) seen.add(pane);
      }
      unchanged = screen === last ? unchanged + 1 : 0;
      last = screen;
    }
    assert.ok(seen.size > 120, `paged through ${seen.size} message rows: older history was fetched`);
    t.keys('C-End');
    await t.waitFor((s) => !/more below|new messages? below/.test(s), 'back at the bottom');
    const names = roomNames(t.capture());
    const target = names[names.length - 1]!;
    t.keys('C-k');
    await t.waitFor((s) => s.includes('Go to room:'), 'switcher open');
    t.type(target);
    t.keys('Enter');
    await t.waitFor((s) => header(s) === target, `switched to #${target}`);

    t.keys('F1');
    await t.waitFor((s) => s.includes('Keys and commands'), 'help overlay');
    t.keys('Escape');
    await t.waitFor((s) => !s.includes('Keys and commands'), 'help closed');

    t.resize(120, 40);
    await t.waitFor((s) => s.trimEnd().split('\n').length === 40 && (s.split('\n')[0] ?? '').indexOf('│') > 20, 're-laid out at 120×40');
    t.resize(50, 20);
    await t.waitFor((s) => !/^[›\s] #/m.test(s), 'narrow: room list hidden');
    for (const l of t.capture().split('\n')) assert.ok(l.length <= 50, `row within 50 columns: ${l}`);
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
    assert.equal(t.display('#{alternate_on}'), '0');
  });

  test('narrow 50×20: the room list is behind F3, Ctrl-K switches rooms, sending works', async () => {
    const t = await startDemo(50, 20, '', (s) => /^#general/.test(s));
    const narrowHeader = (s: string): string => /^#(\S+)/.exec(s)?.[1] ?? '';
    let screen = await t.waitFor((s) => s.split('\n').some((l) => /^\d\d:\d\d /.test(l)), 'messages', 20_000);
    assert.deepEqual(roomNames(screen), [], 'no room list below 60 columns');
    t.keys('F3');
    screen = await t.waitFor((s) => roomNames(s).length >= 3, 'room list shown with F3');
    t.keys('F3');
    await t.waitFor((s) => roomNames(s).length === 0, 'hidden again');
    t.keys('C-k');
    await t.waitFor((s) => s.includes('Go to room:'), 'switcher open');
    t.type('help');
    t.keys('Enter');
    await t.waitFor((s) => narrowHeader(s) === 'help', 'switched to #help');
    const text = `narrow ${process.pid}`;
    t.type(text);
    t.keys('Enter');
    screen = await t.waitFor((s) => s.includes(text) && !s.includes(`› ${text}`), 'own message in the pane');
    for (const l of screen.split('\n')) assert.ok(l.length <= 50, `row within 50 columns: ${l}`);
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
  });

  test('a bracketed paste of several lines asks before sending (120×40)', async () => {
    const t = await startDemo(120, 40);
    await t.waitFor((s) => messageRows(s).length >= 1, 'messages', 20_000);
    t.paste(`paste-one-${process.pid}\npaste-two`);
    await t.waitFor((s) => s.includes('Paste of 2 lines'), 'paste prompt');
    t.keys('Enter');
    await t.waitFor((s) => s.includes(`paste-one-${process.pid}`) && !s.includes('Paste of 2 lines'), 'pasted text sent');
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
  });

  test('history is fetched on open; a mention in another room is counted and highlighted (120×40)', { timeout: 120_000 }, async () => {
    const t = await startDemo(120, 40);
    // Connectors emit no history on connect: these rows come from the pane's history fetch.
    await t.waitFor((s) => messageRows(s).length >= 3, 'history in the pane', 20_000);
    const home = header(t.capture());
    // The demo answers what we say, sometimes with an @mention (40%): say something, look away, and
    // wait for the room's mention badge; a few tries make a miss very unlikely.
    let badge = false;
    for (let i = 0; i < 10 && !badge; i++) {
      t.type(`question ${i} for anyone?`);
      t.keys('Enter');
      t.keys('C-n');
      try {
        await t.waitFor((s) => new RegExp(`#${home}\\s+@\\d+`).test(s), 'mention badge', 3500);
        badge = true;
      } catch {
        t.keys('M-Up');
        await t.waitFor((s) => header(s) === home, 'back home');
      }
    }
    assert.ok(badge, 'a mention was counted in the room list');
    t.keys('M-Up');
    const screen = await t.waitFor((s) => header(s) === home && !new RegExp(`#${home}\\s+@\\d+`).test(s), 'back in the room, badge cleared');
    // The mention row: the author cell in inverse video (a colour-free highlight).
    let mentionRow: string | undefined;
    for (let i = 0; i < 30 && !mentionRow; i++) {
      // Only the pane part of the line (after the room list's border): the active room row is inverse too.
      mentionRow = t
        .captureStyled()
        .split('\n')
        .map((l) => l.slice(l.indexOf('│') + 1))
        .find((l) => l.includes('\x1b[7m') && /@\S/.test(l.replace(/\x1b\[[0-9;]*m/g, '')));
      if (!mentionRow) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(mentionRow, `the mention is highlighted (inverse author):\n${screen}`);
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
  });

  test('NO_COLOR: no colour codes on screen, the terminal cursor marks the composer (100×30)', async () => {
    const t = await startDemo(100, 30, 'NO_COLOR=1 ');
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages', 20_000);
    t.type('abc');
    await t.waitFor((s) => s.includes('› abc'), 'typed');
    const styled = t.captureStyled();
    assert.doesNotMatch(styled, /\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m/, 'no foreground colours');
    assert.equal(t.display('#{cursor_flag}'), '1', 'cursor shown');
    const [x, y] = t.display('#{cursor_x} #{cursor_y}').split(' ').map(Number);
    const row = t.capture().split('\n')[y!] ?? '';
    assert.match(row, /› abc/, 'cursor on the composer row');
    assert.equal(x, row.indexOf('› abc') + 5, 'cursor after the text');
    t.keys('C-c');
    await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
  });
});

