import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { loadUiState, saveUiState, UI_STATE_FILE } from '../../src/config/ui-state.js';
import type { UiMemory, UiMemoryStore } from '../../src/ui/types.js';
import { demoState, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// Drafts and sent lines per room across restarts (ui-state.json beside the room memory).

let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

/** The CLI's memory over a real state directory. */
function dirMemory(dir: string): UiMemoryStore {
  return { load: () => loadUiState(dir), save: (m: UiMemory) => void saveUiState(dir, m) };
}

describe('composer memory', () => {
  test('a draft and the sent lines of each room come back after a restart (Up recalls them, Ctrl-R finds them)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'composer-mem-'));
    const memory = dirMemory(dir);
    const ui = (current = await mount(new TestRuntime(demoState()), { options: { memory } }));
    await ui.press('first line', KEY.enter, 'second line', KEY.enter, 'half typed');
    await ui.press(KEY.ctrl('n'));
    await ui.press('random draft');
    ui.unmount(); // quit: what is pending is written at once
    current = undefined;
    const onDisk = JSON.parse(readFileSync(path.join(dir, UI_STATE_FILE), 'utf8'));
    assert.deepEqual(onDisk.sent['demo\u0000general'], ['first line', 'second line']);
    assert.equal(onDisk.drafts['demo\u0000general'], 'half typed');
    assert.equal(onDisk.drafts['demo\u0000random'], 'random draft');
    assert.ok(Array.isArray(onDisk.roomOrder), 'the room memory is kept beside it (merged, not replaced)');
    assert.equal(statSync(path.join(dir, UI_STATE_FILE)).mode & 0o777, 0o600);

    const rt2 = new TestRuntime(demoState());
    const ui2 = (current = await mount(rt2, { options: { memory } }));
    await ui2.waitFor((f) => f.includes('› random draft'), 'the last room with its draft');
    await ui2.press(KEY.ctrl('p'));
    await ui2.waitFor((f) => f.includes('› half typed'), "the other room's draft");
    await ui2.press(KEY.ctrl('u'), KEY.up);
    await ui2.waitFor((f) => f.includes('› second line'), 'Up recalls a line sent in the previous run');
    await ui2.press(KEY.ctrl('u'), KEY.ctrl('r'), 'fir');
    await ui2.waitFor((f) => f.includes("reverse-i-search 'fir': first line"), 'Ctrl-R finds it too');
  });

  test('the file: merged saves, and a damaged or odd file is read as far as it is sound', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ui-state-'));
    saveUiState(dir, { lastRoom: 'a', roomOrder: ['a'] });
    saveUiState(dir, { drafts: { a: 'x' } });
    assert.deepEqual(loadUiState(dir), { lastRoom: 'a', roomOrder: ['a'], drafts: { a: 'x' } });
    writeFileSync(path.join(dir, UI_STATE_FILE), JSON.stringify({ drafts: { a: 5, b: 'ok' }, sent: { a: ['x', 3, null], b: 'no' } }));
    assert.deepEqual(loadUiState(dir), { drafts: { b: 'ok' }, sent: { a: ['x'] } });
    writeFileSync(path.join(dir, UI_STATE_FILE), '{"drafts": {"a": "cut');
    assert.deepEqual(loadUiState(dir), {});
  });
});
