import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildMissing, demoMissing, header, messageRows, roomNames, startDemo, type Tmux, tmuxMissing } from './tmux.js';

/**
 * End-to-end in tmux against `chat-tui demo`: what a user of WeeChat/irssi reaches for on day two —
 * Ctrl-L redraws, /part closes one room only, the paste prompt at the composer, room numbers and
 * restart memory.
 */

const skip = tmuxMissing() ?? buildMissing() ?? demoMissing();

const sessions: Tmux[] = [];
after(() => {
  for (const t of sessions) t.close();
});

/** The room list's profile header row for `demo` (`● demo` or `○ demo offline` …). */
function profileRow(screen: string): string {
  return screen.split('\n').find((l) => /^[●◌○✗] demo/.test(l))?.split('│')[0]?.trim() ?? '';
}

async function quit(t: Tmux): Promise<void> {
  t.keys('C-c');
  await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
}

describe('day two in the TUI (tmux)', { skip: skip ?? false }, () => {
  test('Ctrl-L clears what another program wrote and draws the screen again; it does not reconnect (80×24)', async () => {
    const t = await startDemo(sessions, 80, 24);
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages', 20_000);
    // Rows under the room list never change by themselves: write over them as a stray program would.
    t.writeTty('\x1b[20;2HGARBAGE-ON-SCREEN');
    await t.waitFor((s) => s.includes('GARBAGE-ON-SCREEN'), 'the garbage on screen');
    t.keys('C-l');
    // The clear comes before the frame: wait for both (a capture between them sees a blank screen).
    const screen = await t.waitFor((s) => !s.includes('GARBAGE-ON-SCREEN') && roomNames(s).length >= 3, 'the garbage gone and the room list drawn again after Ctrl-L');
    assert.doesNotMatch(screen, /reconnecting/, 'Ctrl-L does not reconnect');
    await quit(t);
  });

  test('/part closes one room: the profile stays connected, sends in another room go out, F5 works (100×30)', async () => {
    const t = await startDemo(sessions, 100, 30);
    await t.waitFor((s) => messageRows(s).length >= 2 && profileRow(s) === '● demo', 'connected with messages', 20_000);
    t.keys('C-n');
    const parted = header(await t.waitFor((s) => header(s) !== '' && header(s) !== roomNames(s)[0], 'on the second room'));
    t.type('/part');
    t.keys('Enter');
    let screen = await t.waitFor((s) => !roomNames(s).includes(parted), `#${parted} gone from the list`);
    await new Promise((r) => setTimeout(r, 500)); // the closed socket's events arrive
    screen = t.capture();
    assert.equal(profileRow(screen), '● demo', `the profile is still connected:\n${screen}`);
    const text = `after part ${process.pid}`;
    t.type(text);
    t.keys('Enter');
    screen = await t.waitFor((s) => s.split('\n').some((l) => l.includes(`│ ${text}`) && !l.includes('⧗')), 'the send went out (not pending)', 10_000);
    t.keys('F5');
    await t.waitFor((s) => profileRow(s) === '● demo', 'connected after F5', 10_000);
    const again = `after F5 ${process.pid}`;
    t.type(again);
    t.keys('Enter');
    await t.waitFor((s) => s.split('\n').some((l) => l.includes(`│ ${again}`) && !l.includes('⧗')), 'the send after F5 went out', 10_000);
    await quit(t);
  });

  test('restart memory: the last room and the room order (/move) come back; the demo applies and checks the config\'s ui section (100×30)', async () => {
    const first = await startDemo(sessions, 100, 30);
    await first.waitFor((s) => messageRows(s).length >= 2, 'messages', 20_000);
    fs.mkdirSync(path.join(first.home, 'config'), { recursive: true, mode: 0o700 });
    first.keys('C-n');
    const second = header(await first.waitFor((s) => header(s) !== '' && header(s) !== roomNames(s)[0], 'on the second room'));
    first.type('/move 1');
    first.keys('Enter');
    await first.waitFor((s) => roomNames(s)[0] === second && /^› 1 #/m.test(s), `#${second} is number 1`);
    await quit(first);
    fs.writeFileSync(path.join(first.home, 'config', 'config.json'), JSON.stringify({ profiles: {}, ui: { keys: { help: 'f9', jump: 'M-j' } } }), { mode: 0o600 });
    const again = await startDemo(sessions, 100, 30, '', (s) => roomNames(s).length >= 3, undefined, first.home);
    const screen = await again.waitFor((s) => header(s) === second, `opens on #${second}`);
    assert.equal(roomNames(screen)[0], second, 'the order is kept');
    assert.match(screen, /› 1 #/);
    assert.match(screen.trimEnd().split('\n').at(-1)!, /config ui\.keys\.jump: unknown action/, 'a ui problem is said in the status line');
    again.keys('F9');
    await again.waitFor((s) => s.includes('Keys and commands'), 'F9 opens help');
    again.keys('Escape');
    await quit(again);
  });

  test('the paste prompt is drawn at the composer, names its keys, and says so for another key (80×24)', async () => {
    const t = await startDemo(sessions, 80, 24);
    await t.waitFor((s) => messageRows(s).length >= 2, 'messages', 20_000);
    t.paste(`paste-a-${process.pid}\npaste-b\npaste-c`);
    let screen = await t.waitFor((s) => s.includes('Paste of 3 lines'), 'the prompt');
    const rows = screen.trimEnd().split('\n');
    const at = rows.findIndex((l) => l.includes('Paste of 3 lines'));
    assert.ok(at >= rows.length - 7, `at the bottom, where the composer is:\n${screen}`);
    assert.ok(messageRows(screen).length >= 2, 'the messages stay on screen');
    const prompt = rows.slice(at, rows.length - 1).map((l) => l.slice(l.indexOf('│') + 1).trim()).join(' ');
    assert.match(prompt, /Enter\/y send as one message · e edit · Esc\/n cancel/);
    t.type('q');
    screen = await t.waitFor((s) => s.includes('"q" does nothing here'), 'another key is answered');
    t.keys('Enter');
    await t.waitFor((s) => s.includes(`paste-a-${process.pid}`) && !s.includes('Paste of 3 lines'), 'sent as one message');
    await quit(t);
  });
});
