import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// /urls: the URL picker (Enter opens with $BROWSER, else copies with OSC 52; c copies).

const GENERAL = roomKey('demo', 'general');
let current: Mounted | undefined;
const savedBrowser = process.env.BROWSER;
afterEach(() => {
  current?.unmount();
  current = undefined;
  if (savedBrowser === undefined) delete process.env.BROWSER;
  else process.env.BROWSER = savedBrowser;
});
const LONG = `https://example.org/a/very/long/path/${'x'.repeat(150)}?q=1`;
function state() {
  const st = demoState();
  st.setRoom(GENERAL, () => ({
    messages: [
      msg({ id: 'a', text: 'docs at https://example.com/docs, see', author: { id: 'u2', name: 'bob' } }),
      msg({ id: 'b', text: `long one ${LONG}`, author: { id: 'u3', name: 'ann' } }),
      msg({ id: 'c', text: 'again https://example.com/docs', author: { id: 'u3', name: 'ann' } }),
      msg({ id: 'd', text: 'gone https://secret.example/', author: { id: 'u3', name: 'ann' }, deleted: true }),
    ],
  }));
  return st;
}
const osc52 = (s: string): string => `\u001b]52;c;${Buffer.from(s).toString('base64')}\u0007`;

describe('/urls', () => {
  test('lists the distinct URLs newest first; Enter without $BROWSER copies with OSC 52; c copies', async () => {
    delete process.env.BROWSER;
    const ui = (current = await mount(new TestRuntime(state()), { columns: 100 }));
    await ui.press('/urls', KEY.enter);
    const f = await ui.waitFor((x) => x.includes('URLs of this room: 2'), 'the picker');
    const rows = f.split('\n').filter((l) => l.includes('https://'));
    assert.match(rows[0]!, /› https:\/\/example\.com\/docs  \(ann\)/, 'newest first, the trailing comma is not part of it');
    assert.match(rows[1]!, /https:\/\/example\.org\/a\/very\/long/);
    assert.doesNotMatch(f, /secret\.example/, 'deleted messages are left out');
    await ui.press(KEY.down, KEY.enter);
    await ui.waitFor((x) => !x.includes('URLs of this room') && x.includes('copied https://example.org'), 'copied notice');
    assert.ok(ui.output().includes(osc52(LONG)), 'the whole long URL went to the clipboard');
    await ui.press('/urls', KEY.enter, 'c');
    await ui.waitFor((x) => x.includes('copied https://example.com/docs'), 'c copies');
    assert.ok(ui.output().includes(osc52('https://example.com/docs')));
  });

  test('Enter with $BROWSER opens the URL with it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urls-'));
    const out = path.join(dir, 'opened');
    const script = path.join(dir, 'browser.sh');
    writeFileSync(script, `#!/bin/sh\nprintf '%s' "$1" > '${out}'\n`);
    chmodSync(script, 0o755);
    process.env.BROWSER = script;
    const ui = (current = await mount(new TestRuntime(state()), { columns: 100 }));
    await ui.press('/urls', KEY.enter);
    await ui.waitFor((x) => x.includes('URLs of this room: 2'), 'the picker');
    await ui.press(KEY.enter);
    await ui.waitFor((x) => x.includes('opened https://example.com/docs'), 'opened notice');
    const until = Date.now() + 5000;
    while (!existsSync(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(readFileSync(out, 'utf8'), 'https://example.com/docs');
    assert.ok(!ui.output().includes('\u001b]52;'), 'nothing copied');
  });
});
