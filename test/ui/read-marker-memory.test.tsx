import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { MessageEvent } from '../../src/core/events.js';
import { loadUiState, saveUiState, UI_STATE_FILE } from '../../src/config/ui-state.js';
import type { UiMemory, UiMemoryStore } from '../../src/ui/types.js';
import { setup } from './fake-service.js';
import { KEY, type Mounted, mount } from './harness.js';

// Read markers across restarts (ui-state.json beside the room memory), over the real SessionStore.

let current: Mounted | undefined;
const runtimes: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  current?.unmount();
  current = undefined;
  for (const r of runtimes.splice(0)) await r.stop();
});

function dirMemory(dir: string): UiMemoryStore {
  return { load: () => loadUiState(dir), save: (m: UiMemory) => void saveUiState(dir, m) };
}

const at = (n: number) => `2026-01-01T10:00:0${n}.000Z`;
const ev = (n: number): MessageEvent => ({ type: 'message', profile: 'fk', room: 'lobby', id: `m${n}`, author: { id: 'jane', name: 'Jane' }, text: `line ${n}`, time: at(n) });

describe('read marker memory', () => {
  test('a room read up to X: after a restart the messages after X are unread and the marker sits after X', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'read-mark-'));
    const memory = dirMemory(dir);
    const s1 = setup();
    runtimes.push(s1.runtime);
    await s1.runtime.start();
    const ui = (current = await mount(s1.runtime, { columns: 100, rows: 24, options: { memory } }));
    await ui.waitFor((f) => f.includes('#lobby') && f.includes('#dev'), 'rooms listed');
    s1.session().say('lobby', 'm1', 'line 1', undefined, at(1));
    s1.session().say('lobby', 'm2', 'line 2', undefined, at(2));
    await ui.waitFor((f) => f.includes('line 2'), 'lobby read up to m2');
    await ui.press(KEY.ctrl('n')); // leave lobby for dev: lobby has been read
    await ui.waitFor((f) => !f.includes('line 2'), 'dev shown');
    ui.unmount();
    current = undefined;
    const onDisk = JSON.parse(readFileSync(path.join(dir, UI_STATE_FILE), 'utf8'));
    assert.deepEqual(onDisk.readMarkers['fk\u0000lobby'], { id: 'm2', ts: Date.parse(at(2)) });

    // Second run: the archive/backfill brings lobby's messages, two of them after the marker.
    const s2 = setup();
    runtimes.push(s2.runtime);
    await s2.runtime.start();
    const ui2 = (current = await mount(s2.runtime, { columns: 100, rows: 24, options: { memory } }));
    await ui2.waitFor((f) => f.includes('#lobby') && f.includes('#dev'), 'rooms listed');
    s2.store.prependHistory('fk', 'lobby', [1, 2, 3, 4].map(ev), false);
    const lobby = () => s2.store.getState().rooms['fk\u0000lobby']!;
    assert.equal(lobby().unread, 2, 'm3 and m4 are unread, m1 and m2 are not');
    assert.equal(lobby().messages[lobby().firstUnread]?.id, 'm3');
    await ui2.waitFor((f) => /#lobby\s+2\b/.test(f), 'the room list shows 2 unread');
    await ui2.press(KEY.ctrl('p'));
    const f = await ui2.waitFor((x) => x.includes('line 4') && x.includes('new messages'), 'lobby with the marker');
    const rows = f.split('\n');
    const mark = rows.findIndex((r) => r.includes('new messages'));
    assert.ok(rows.findIndex((r) => r.includes('line 2')) < mark && mark < rows.findIndex((r) => r.includes('line 3')), `the marker between line 2 and line 3:\n${f}`);
  });
});
