import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import stringWidth from 'string-width';
import { COMMANDS, commandHelpLines, completeCommand, parseInput, pickMessageToDelete } from '../../src/ui/commands/index.js';
import { edit, type EditorState, emptyEditor, historyStep } from '../../src/ui/editor.js';
import { connectionText, formatTime, onlineText, typingText } from '../../src/ui/format.js';
import { fuzzyFilter } from '../../src/ui/fuzzy.js';
import { actionOf, buildKeymap, keyLabel } from '../../src/ui/keymap.js';
import { keyId, parseKeys } from '../../src/ui/keys.js';
import { layoutMessage, ROW_CACHE_ENTRIES, RowCache, rowsOf } from '../../src/ui/lines.js';
import { hash32, makeTheme, supportsHyperlinks, USER_PALETTE, USER_PALETTE_256 } from '../../src/ui/theme.js';
import { computeView, countAfter, findIndex, scrollBy, topPos } from '../../src/ui/viewport.js';
import { wrapPlain } from '../../src/ui/wrap.js';
import { msg } from './fixtures.js';

const ids = (raw: string): string[] => parseKeys(raw).map(keyId);

describe('keys', () => {
  test('a chunk of typed keys is split: text, Enter, text', () => {
    assert.deepEqual(ids('ab\rcd'), ['ab', 'enter', 'cd']);
    assert.deepEqual(ids('\t\r'), ['tab', 'enter']);
    assert.deepEqual(ids('x\r\ny'), ['x', 'enter', 'y']);
  });
  test('control, alt and function keys', () => {
    assert.deepEqual(ids('\x0e'), ['C-n']);
    assert.deepEqual(ids('\x10'), ['C-p']);
    assert.deepEqual(ids('\x03'), ['C-c']);
    assert.deepEqual(ids('\x1b[1;3A'), ['M-up']);
    assert.deepEqual(ids('\x1b\x1b[B'), ['M-down']);
    assert.deepEqual(ids('\x1bOP'), ['f1']);
    assert.deepEqual(ids('\x1b[11~'), ['f1']);
    assert.deepEqual(ids('\x1bOQ'), ['f2']);
    assert.deepEqual(ids('\x1b[15~'), ['f5']);
    assert.deepEqual(ids('\x1b[5~\x1b[6~'), ['pageup', 'pagedown']);
    assert.deepEqual(ids('\x1b[1;5H'), ['C-home']);
    assert.deepEqual(ids('\x1b\r'), ['M-enter']);
    assert.deepEqual(ids('\x1bb'), ['M-b']);
    assert.deepEqual(ids('\x1b1'), ['M-1']);
    assert.deepEqual(ids('\x1b'), ['escape']);
    assert.deepEqual(ids('\x7f'), ['backspace']);
    assert.deepEqual(ids('\x1b[3~'), ['delete']);
  });
  test('mouse reports, focus events and C1 controls are not keys', () => {
    assert.deepEqual(ids('\x1b[<0;10;5M'), []);
    assert.deepEqual(ids('\x1b[I\x1b[O'), []);
    assert.deepEqual(ids('a\u009bb'), ['ab']);
  });
  test('wide characters stay text', () => {
    assert.deepEqual(parseKeys('é😀漢').map((k) => k.text), ['é😀漢']);
  });
});

describe('keymap', () => {
  test('defaults and rebinding from the config', () => {
    const def = buildKeymap(undefined);
    assert.equal(actionOf(def, parseKeys('\x07')[0]!), 'switcher');
    assert.equal(actionOf(def, parseKeys('\x1bOP')[0]!), 'help');
    const custom = buildKeymap({ switcher: 'C-o', nonsense: 'C-x' });
    assert.equal(actionOf(custom, parseKeys('\x0f')[0]!), 'switcher');
    assert.equal(actionOf(custom, parseKeys('\x07')[0]!), undefined, 'old binding replaced');
    assert.equal(keyLabel('C-n'), 'Ctrl-N');
    assert.equal(keyLabel('M-up'), 'Alt-Up');
    assert.equal(keyLabel('pageup'), 'PgUp');
  });
});

describe('editor (readline keys)', () => {
  const at = (text: string, cursor = text.length): EditorState => ({ text, cursor, kill: '' });
  test('insert, backspace, delete, left/right by grapheme', () => {
    let s = edit(emptyEditor, { op: 'insert', text: 'a👍🏽b' });
    s = edit(s, { op: 'left' });
    s = edit(s, { op: 'backspace' });
    assert.equal(s.text, 'ab', 'emoji with skin tone deleted as one');
    s = edit(s, { op: 'home' });
    s = edit(s, { op: 'delete' });
    assert.deepEqual([s.text, s.cursor], ['b', 0]);
  });
  test('Ctrl-A/E, Alt-B/F word moves', () => {
    let s = at('hello big world');
    s = edit(s, { op: 'wordLeft' });
    assert.equal(s.cursor, 10);
    s = edit(s, { op: 'wordLeft' });
    assert.equal(s.cursor, 6);
    s = edit(s, { op: 'wordRight' });
    assert.equal(s.cursor, 9);
    assert.equal(edit(s, { op: 'home' }).cursor, 0);
    assert.equal(edit(s, { op: 'end' }).cursor, 15);
  });
  test('Ctrl-W, Ctrl-U, Ctrl-K kill and Ctrl-Y yanks', () => {
    let s = edit(at('say hello world'), { op: 'killWordBack' });
    assert.deepEqual([s.text, s.kill], ['say hello ', 'world']);
    s = edit(s, { op: 'yank' });
    assert.equal(s.text, 'say hello world');
    s = edit({ ...s, cursor: 4 }, { op: 'killToEnd' });
    assert.deepEqual([s.text, s.kill], ['say ', 'hello world']);
    s = edit(at('abc def', 4), { op: 'killToStart' });
    assert.deepEqual([s.text, s.cursor, s.kill], ['def', 0, 'abc ']);
  });
  test('multi-line: up/down move between lines, home/end are per line', () => {
    let s = at('first\nsecond');
    s = edit(s, { op: 'home' });
    assert.equal(s.cursor, 6);
    s = edit(s, { op: 'up' });
    assert.equal(s.cursor, 0);
    s = edit(s, { op: 'end' });
    assert.equal(s.cursor, 5);
  });
  test('history walks sent texts and returns to the draft', () => {
    const h = { entries: ['one', 'two'], index: 2, draft: '' };
    const a = historyStep(h, -1, 'draft')!;
    assert.equal(a.text, 'two');
    const b = historyStep(a.h, -1, a.text)!;
    assert.equal(b.text, 'one');
    assert.equal(historyStep(b.h, -1, b.text), undefined);
    const c = historyStep(historyStep(b.h, 1, 'one')!.h, 1, 'two')!;
    assert.equal(c.text, 'draft');
  });
});

describe('wrap', () => {
  test('wraps at cell width, keeps URLs whole when they fit, breaks over-long words', () => {
    const url = 'https://example.com/some/path';
    const lines = wrapPlain(`see ${url} now`, 32);
    assert.ok(lines.includes(url), JSON.stringify(lines));
    const long = wrapPlain('x'.repeat(25), 10);
    assert.deepEqual(long, ['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
    for (const l of wrapPlain('漢字漢字漢字 漢字漢字 👩‍👩‍👧 emoji family', 9)) assert.ok(stringWidth(l) <= 9, l);
    assert.deepEqual(wrapPlain('a\nb', 10), ['a', 'b']);
  });
});

describe('lines and colours', () => {
  const t = makeTheme({ noColor: false, level: 1 });
  test('author colour is stable per user id and from the palette', () => {
    assert.equal(t.userColor('jane'), t.userColor('jane'));
    assert.equal(t.userColor('jane'), USER_PALETTE[hash32('jane') % USER_PALETTE.length]);
    const set = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((u) => t.userColor(u)));
    assert.ok(set.size > 2);
  });
  test('with 256 colours authors get one of the larger palette, painted as 38;5;N in rows and taken by Ink', () => {
    const t256 = makeTheme({ noColor: false, level: 2 });
    const n = USER_PALETTE_256[hash32('jane') % USER_PALETTE_256.length]!;
    assert.equal(t256.userColor('jane'), `ansi256(${n})`);
    const row = layoutMessage(msg({ text: 'hi', author: { id: 'jane', name: 'jane' } }), false, { width: 60, theme: t256 })[0]!;
    assert.ok(row.includes(`\x1b[38;5;${n}m`), JSON.stringify(row));
    const ids = Array.from({ length: 40 }, (_, i) => `user${i}`);
    assert.ok(new Set(ids.map((u) => t256.userColor(u))).size > new Set(ids.map((u) => t.userColor(u))).size, 'more distinct colours than the 16-colour palette');
    assert.equal(makeTheme({ noColor: true, level: 2 }).userColor('jane'), undefined);
  });
  test('NO_COLOR: no colour codes in rows (attributes like dim remain allowed)', () => {
    const nc = makeTheme({ noColor: true, level: 1 });
    const rows = layoutMessage(msg({ text: 'hi', mention: true, author: { id: 'x', name: 'X' } }), false, { width: 60, theme: nc });
    for (const r of rows) assert.doesNotMatch(r, /\x1b\[(3|9)[0-7]m/);
    const colored = layoutMessage(msg({ text: 'hi', author: { id: 'x', name: 'X' } }), false, { width: 60, theme: t });
    assert.match(colored.join(''), /\x1b\[(3|9)[0-7]m/);
  });
  test('rows are cached by id + rev + width and recomputed after an edit', () => {
    const cache = new RowCache();
    const m = msg({ text: 'one two three' });
    const o = { width: 40, theme: t };
    rowsOf([m], 0, -1, o, cache);
    rowsOf([m], 0, -1, o, cache);
    assert.equal(cache.misses, 1);
    assert.equal(cache.hits, 1);
    const edited = { ...m, text: 'changed', edited: true, rev: 2 };
    const r = rowsOf([edited], 0, -1, o, cache);
    assert.equal(cache.misses, 2);
    assert.match(r.join('\n'), /changed/);
    rowsOf([edited], 0, -1, { ...o, width: 30 }, cache);
    assert.equal(cache.misses, 3, 're-wrapped for a new width');
  });
  test('the row cache is bounded by the screen, not the scrollback: least recently used entries go first', () => {
    const cache = new RowCache();
    const o = { width: 40, theme: t };
    const msgs = Array.from({ length: ROW_CACHE_ENTRIES * 3 }, (_, i) => msg({ id: `m${i}`, text: `line ${i}` }, 1_000_000 + i));
    rowsOf(msgs, 0, -1, o, cache);
    for (let i = 1; i < msgs.length; i++) {
      rowsOf(msgs, i, -1, o, cache);
      rowsOf(msgs, 0, -1, o, cache); // the first message stays in use (on screen)
    }
    assert.equal(cache.size, ROW_CACHE_ENTRIES);
    const misses = cache.misses;
    rowsOf(msgs, 0, -1, o, cache);
    rowsOf(msgs, msgs.length - 1, -1, o, cache);
    assert.equal(cache.misses, misses, 'recently used rows are still cached');
    rowsOf(msgs, 1, -1, o, cache);
    assert.equal(cache.misses, misses + 1, 'an old row was evicted and is laid out again');
  });
  test('day separator, "new messages" line, grouping of the same author', () => {
    const nc = makeTheme({ noColor: true });
    const day1 = new Date(2026, 0, 5, 23, 50).getTime();
    const msgs = [
      msg({ id: 'a', text: 'first', author: { id: 'j', name: 'Jane' } }, day1),
      msg({ id: 'b', text: 'second', author: { id: 'j', name: 'Jane' } }, day1 + 60_000),
      msg({ id: 'c', text: 'next day', author: { id: 'j', name: 'Jane' } }, day1 + 20 * 60_000),
      msg({ id: 'd', text: 'unread', author: { id: 'b', name: 'Bob' } }, day1 + 21 * 60_000),
    ];
    const o = { width: 60, theme: nc };
    const r0 = rowsOf(msgs, 0, 3, o);
    assert.match(r0[0]!, /─.*2026.*─/);
    const r1 = rowsOf(msgs, 1, 3, o);
    assert.equal(r1.length, 1);
    assert.doesNotMatch(r1[0]!, /Jane/, 'grouped: author not repeated');
    const r2 = rowsOf(msgs, 2, 3, o);
    assert.match(r2[0]!, /─.*2026.*─/, 'new local day');
    assert.match(r2[1]!, /Jane/);
    const r3 = rowsOf(msgs, 3, 3, o);
    assert.match(r3[0]!, /new messages/);
    const withMention = [...msgs, msg({ id: 'e', text: 'hey Me', mention: true, author: { id: 'b', name: 'Bob' } }, day1 + 22 * 60_000)];
    assert.match(rowsOf(withMention, 4, -1, o)[0]!, /Bob/, 'a mention is never grouped: its author shows');
  });
  test('URLs become OSC 8 hyperlinks when the terminal supports them, and only whole ones', () => {
    const url = 'https://example.com/a/b?c=1';
    const on = makeTheme({ noColor: true, hyperlinks: true });
    const rows = layoutMessage(msg({ text: `see ${url}.` }), false, { width: 80, theme: on });
    assert.ok(rows.join('').includes(`\x1b]8;;${url}\x07${url}\x1b]8;;\x07`), JSON.stringify(rows));
    const off = makeTheme({ noColor: true, hyperlinks: false });
    assert.ok(!layoutMessage(msg({ text: `see ${url}` }), false, { width: 80, theme: off }).join('').includes('\x1b]8'));
    const long = `https://example.com/${'x'.repeat(120)}`;
    const pieces = layoutMessage(msg({ text: long }), false, { width: 60, theme: on });
    assert.ok(pieces.length > 1, 'the long URL takes several rows');
    for (const row of pieces) assert.ok(row.includes(`\x1b]8;;${long}\x07`), `every piece of a URL broken across rows links to the whole URL: ${JSON.stringify(row)}`);
    assert.equal(supportsHyperlinks({ TMUX: '/tmp/x', TERM_PROGRAM: 'tmux', TERM_PROGRAM_VERSION: '3.4' }), true, 'tmux 3.4 passes OSC 8 through');
    assert.equal(supportsHyperlinks({ TMUX: '/tmp/x', TERM_PROGRAM: 'tmux', TERM_PROGRAM_VERSION: '3.5a' }), true);
    assert.equal(supportsHyperlinks({ TMUX: '/tmp/x', TERM_PROGRAM: 'tmux', TERM_PROGRAM_VERSION: '3.3a' }), false);
    assert.equal(supportsHyperlinks({ TERM_PROGRAM: 'iTerm.app' }), true);
    assert.equal(supportsHyperlinks({ TERM_PROGRAM: 'iTerm.app', TMUX: '/tmp/x' }), false);
    assert.equal(supportsHyperlinks({ TERM: 'xterm-256color' }), false);
    assert.equal(supportsHyperlinks({ FORCE_HYPERLINK: '1', TMUX: '/tmp/x' }), true);
  });
  test('mentions are marked without colour too', () => {
    const nc = makeTheme({ noColor: true, level: 1 });
    const r = layoutMessage(msg({ text: 'hey me', mention: true, author: { id: 'x', name: 'X' } }), false, { width: 60, theme: nc, selfName: 'me' });
    assert.match(r[0]!, /›/);
  });
});

describe('viewport (virtual scrolling)', () => {
  const t = makeTheme({ noColor: true });
  const make = (n: number, base = 1_800_000_000_000): ReturnType<typeof msg>[] => Array.from({ length: n }, (_, i) => msg({ id: `m${i}`, text: `text ${i}` }, base + i * 1000));
  const model = (messages: ReturnType<typeof msg>[], height = 10) => ({ messages, firstUnread: -1, layout: { width: 60, theme: t }, height, cache: new RowCache() });

  test('findIndex by binary search; missing ids fall back to the nearest older message', () => {
    const m = make(1000);
    assert.equal(findIndex(m, { id: 'm500', ts: m[500]!.ts }), 500);
    assert.equal(findIndex(m, { id: 'gone', ts: m[500]!.ts + 1 }), 500);
    assert.equal(findIndex([], { id: 'x', ts: 0 }), -1);
  });

  test('bottom view shows the last rows; scrolling up and down round-trips to the bottom', () => {
    const p = model(make(100));
    const v = computeView(p, null);
    assert.equal(v.rows.length, 10);
    assert.match(v.rows.at(-1)!, /text 99/);
    const up = scrollBy(p, null, -15);
    assert.ok(up.pos);
    const v2 = computeView(p, up.pos);
    assert.match(v2.rows.at(-1)!, /text 84/);
    const down = scrollBy(p, up.pos, 15);
    assert.equal(down.pos, null);
  });

  test('the anchor keeps the view when messages arrive below or backfill arrives above', () => {
    const msgs = make(100);
    const p = model(msgs);
    const pos = scrollBy(p, null, -30).pos;
    const before = computeView(p, pos).rows;
    const more = [...make(20, 1_700_000_000_000), ...msgs, ...make(5, 1_900_000_000_000)];
    const after = computeView({ ...p, messages: more }, pos).rows;
    assert.deepEqual(after.slice(1), before.slice(1));
  });

  test('top: atTop reported, Home position shows the first row at the top', () => {
    const p = model(make(100));
    const r = scrollBy(p, null, -1000);
    assert.equal(r.atTop, true);
    const v = computeView(p, r.pos);
    assert.match(v.rows.join('\n'), /text 0\b/);
    const home = topPos(p);
    assert.match(computeView(p, home).rows[1]!, /text 0\b/);
  });

  test('few messages: bottom view with fewer rows than the height', () => {
    const p = model(make(3));
    const v = computeView(p, null);
    assert.equal(v.rows.length, 4); // day separator + 3
    assert.equal(v.atTop, true);
  });

  test('work per view does not depend on the scrollback (rows laid out ≈ screen)', () => {
    const big = model(make(100_000));
    computeView(big, null);
    assert.ok(big.cache.misses <= 12, `laid out ${big.cache.misses} messages for a 10-row view`);
  });

  test('countAfter counts messages after the last seen one', () => {
    const m = make(10);
    assert.equal(countAfter(m, { id: 'm7', ts: m[7]!.ts }), 2);
    assert.equal(countAfter(m, undefined), 0);
  });
});

describe('commands', () => {
  test('parse: text, //text, commands with args, unknown, usage', () => {
    assert.deepEqual(parseInput('hello'), { kind: 'text', text: 'hello' });
    assert.deepEqual(parseInput('//shrug'), { kind: 'text', text: '/shrug' });
    assert.deepEqual(parseInput('/join lobby', { join: true }), { kind: 'command', name: 'join', args: ['lobby'], rest: 'lobby' });
    assert.equal(parseInput('/nope').kind, 'error');
    assert.deepEqual(parseInput('/join', { join: true }), { kind: 'error', message: 'usage: /join ROOM' });
    assert.deepEqual(parseInput('   '), { kind: 'empty' });
    assert.deepEqual(completeCommand('re'), ['/retry', '/reconnect']);
  });

  test('moderation commands need the capability: hidden from completion, an error without it', () => {
    assert.deepEqual(completeCommand('b'), []);
    assert.deepEqual(completeCommand('b', { moderation: true }), ['/ban']);
    assert.match((parseInput('/ban troll') as { message: string }).message, /no moderation rights/);
    assert.deepEqual(parseInput('/ban troll', { moderation: true }), { kind: 'command', name: 'ban', args: ['troll'], rest: 'troll' });
    assert.deepEqual(parseInput('/timeout', { moderation: true }), { kind: 'error', message: 'usage: /timeout USER' });
  });

  test('every command that needs a capability is hidden without it: completion, help, and an error line naming why', () => {
    assert.deepEqual(completeCommand('j'), []);
    assert.deepEqual(completeCommand('j', { join: true }), ['/join']);
    assert.deepEqual(completeCommand('d', { dms: true }), ['/dm', '/discard']);
    assert.deepEqual(completeCommand('d'), ['/discard']);
    assert.deepEqual(parseInput('/join lobby', { join: false }), { kind: 'error', message: '/join: this service cannot open rooms at run time' });
    assert.deepEqual(parseInput('/part', {}), { kind: 'error', message: '/part: this service cannot leave rooms at run time' });
    assert.deepEqual(parseInput('/dm bob', { dms: false }), { kind: 'error', message: '/dm: this service has no direct messages' });
    const shown = (caps: Parameters<typeof commandHelpLines>[0]): string[] => commandHelpLines(caps).map(([k]) => k);
    assert.ok(!shown({}).some((k) => /^\/(join|part|dm|delete|timeout|ban|unban)\b/.test(k)), shown({}).join(' '));
    assert.ok(shown({ join: true, dms: true, moderation: true }).includes('/timeout USER'));
    assert.ok(shown({ join: true }).includes('/join ROOM'));
    assert.ok(shown({}).includes('/profile NAME'));
    // Each command has one file, a usage and a description; names are unique.
    assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
    for (const c of COMMANDS) assert.ok(c.description.length > 0 && (c.capability === undefined || c.unavailable), c.name);
  });

  test('/delete picks the newest sent message, by id, or the newest of an author', () => {
    const base = { room: 'r', time: '2026-01-01T00:00:00.000Z', ts: 0, edited: false, deleted: false, status: 'sent' as const, mention: false, kind: 'normal' as const, rev: 1 };
    const list = [
      { ...base, id: '1', author: { id: 'u1', name: 'Troll' }, text: 'a' },
      { ...base, id: '2', author: { id: 'u2', name: 'Bob' }, text: 'b' },
      { ...base, id: '3', author: { id: 'u2', name: 'Bob' }, text: 'c', deleted: true },
      { ...base, id: '4', author: { id: 'me', name: 'me' }, text: 'd', status: 'pending' as const },
      { ...base, id: '5', author: { id: 'sys', name: '' }, text: 'joined', kind: 'system' as const },
    ];
    assert.equal((pickMessageToDelete(list, '') as { id: string }).id, '2');
    assert.equal((pickMessageToDelete(list, '@troll') as { id: string }).id, '1');
    assert.equal((pickMessageToDelete(list, 'U1') as { id: string }).id, '1');
    assert.equal((pickMessageToDelete(list, '1') as { id: string }).id, '1');
    assert.ok('error' in pickMessageToDelete(list, '3'), 'a deleted message is not picked');
    assert.ok('error' in pickMessageToDelete([], ''));
  });
});

describe('format', () => {
  test('typing texts, online count, connection states', () => {
    const now = 1000;
    const u = (n: string, until = 5000) => ({ user: { id: n, name: n }, until });
    assert.equal(typingText([], now), '');
    assert.equal(typingText([u('Jane')], now), 'Jane is typing…');
    assert.equal(typingText([u('Jane'), u('Bob')], now), 'Jane and Bob are typing…');
    assert.equal(typingText([u('Jane'), u('Bob'), u('Ann')], now), 'Jane and 2 others are typing…');
    assert.equal(typingText([u('Jane', 500)], now), '', 'expired typer left out');
    assert.equal(typingText([u('me')], now, 'me'), '', 'ourselves left out');
    assert.equal(onlineText(Array.from({ length: 12 }, (_, i) => ({ id: `${i}`, name: '' }))), '12 online');
    assert.equal(onlineText(undefined), '');
    assert.equal(connectionText({ state: 'reconnecting', retryAt: 4000 }, 1000), 'reconnecting in 3s');
    assert.equal(connectionText({ state: 'failed', reason: 'auth' }, 0), 'failed: auth');
  });
  test('local time pattern', () => {
    const ts = new Date(2026, 0, 5, 9, 7, 3).getTime();
    assert.equal(formatTime(ts), '09:07');
    assert.equal(formatTime(ts, 'HH:mm:ss'), '09:07:03');
    assert.equal(formatTime(ts, 'hh:mm a'), '09:07 am');
  });
  test('fuzzy filter ranks prefix and word-start matches first', () => {
    const r = fuzzyFilter('gen', ['#random', '#general', '#big-engine'], (x) => x);
    assert.deepEqual(r, ['#general', '#big-engine']);
  });
});

describe('author colours on one screen', () => {
  test('two people whose colours would collide get different ones while both are on screen', async () => {
    const { buildPane } = await import('../../src/ui/components/MessagePane.js');
    const t = makeTheme({ noColor: false, level: 1 });
    // two ids that hash to the same colour of the 11
    const ids = Array.from({ length: 200 }, (_, i) => `user${i}`);
    const a = ids[0]!;
    const b = ids.find((x) => x !== a && t.userColor(x) === t.userColor(a))!;
    assert.ok(b, 'a colliding pair exists');
    const colours = t.distinctColors([a, b]);
    assert.notEqual(colours.get(a), colours.get(b));
    const room = {
      key: 'p\u0000r', profile: 'p', id: 'r', name: 'r', members: [], online: undefined, typing: [], unread: 0, mentions: 0, firstUnread: -1,
      loadingHistory: false, hasMoreHistory: false, version: 1,
      messages: [msg({ id: 'x1', text: 'one', author: { id: a, name: 'Ann' } }), msg({ id: 'x2', text: 'two', author: { id: b, name: 'Bea' } })],
    };
    const pane = buildPane(room, { width: 60, theme: t }, 10, { pos: null } as never, false, t);
    const rowOf = (name: string): string => pane.rows.find((r) => r.text.includes(name))!.text;
    const sgr = (row: string): string => /\x1b\[(\d+)m\s*(Ann|Bea)/.exec(row)?.[1] ?? '';
    assert.notEqual(sgr(rowOf('Ann')), sgr(rowOf('Bea')), `${JSON.stringify(rowOf('Ann'))} vs ${JSON.stringify(rowOf('Bea'))}`);
    assert.equal(t.distinctColors([a]).get(a), t.userColor(a), 'alone, a person keeps their own colour');
  });
});
