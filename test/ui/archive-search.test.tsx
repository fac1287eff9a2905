import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { Archive, archiveHistory } from '../../src/core/archive/index.js';
import { migrate } from '../../src/core/archive/schema.js';
import { sqlite } from '../../src/core/archive/sqlite.js';
import type { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { setup } from './fake-service.js';
import { KEY, type Mounted, mount } from './harness.js';

/**
 * `/search` in the App over the real store and runtime with a real archive (SQLite in a temp dir): the
 * overlay lists the archive's hits, Enter shows the hit in its room with the messages around it.
 */

const dirs: string[] = [];
let ui: Mounted | undefined;
let rt: ChatRuntime | undefined;
let archive: Archive | undefined;
afterEach(async () => {
  ui?.unmount();
  ui = undefined;
  await rt?.stop();
  rt = undefined;
  archive?.close();
  archive = undefined;
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('/search over the archive', () => {
  test('lists the hits; Enter opens the room at the message, with its archived context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-tui-uisearch-'));
    dirs.push(dir);
    archive = Archive.open(join(dir, 'archive.db'));
    const t0 = Date.parse('2026-03-01T08:00:00.000Z');
    // 300 messages in #dev: the hit (150) is far older than the 100 the room shows at start.
    for (let i = 1; i <= 300; i++) {
      archive.record({ type: 'message', profile: 'fk', room: 'dev', id: String(i), author: { id: 'jane', name: 'Jane' }, text: i === 150 ? 'the zebra deploy broke' : `chatter ${i}`, time: new Date(t0 + i * 60_000).toISOString() });
    }
    archive.flush();
    const s = setup({}, { archive: archiveHistory(archive, () => undefined) });
    rt = s.runtime;
    ui = await mount(s.runtime, { columns: 100, rows: 24 });
    await ui.waitFor((f) => f.includes('#lobby') && f.includes('#dev'), 'rooms listed');
    assert.ok(!s.store.getState().rooms[roomKey('fk', 'dev')]!.messages.some((m) => m.id === '150'), 'the hit is not in memory yet');
    await ui.press('/search zebra', KEY.enter);
    const overlay = await ui.waitFor((f) => f.includes('Search "zebra": 1 hit'), 'overlay with the hit');
    assert.match(overlay, /#dev Jane: the zebra deploy broke/);
    await ui.press(KEY.enter);
    const shown = await ui.waitFor((f) => f.includes('┆ the zebra deploy broke') && !f.includes('Search "zebra"'), 'the hit in its room');
    assert.match(shown, /┆ chatter 151/, 'with the messages after it, marked as from the archive (dashed bar)');
    const msgs = s.store.getState().rooms[roomKey('fk', 'dev')]!.messages.map((m) => Number(m.id));
    assert.ok(msgs.includes(149) && msgs.includes(150), 'its context is in the store');
    assert.deepEqual(msgs, [...msgs].sort((a, b) => a - b), 'in order');
  });

  test('while the search index is rebuilt (an upgraded archive): the newest are found at once, the title says how many are left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-tui-uisearch-'));
    dirs.push(dir);
    const file = join(dir, 'archive.db');
    // An archive of schema version 4 (before the search index was rebuilt newest first).
    const db = new (sqlite().DatabaseSync)(file);
    migrate(db, 4);
    db.exec(`INSERT INTO chats (profile, room) VALUES ('fk', 'dev')`);
    const ins = db.prepare('INSERT INTO messages (chat, id, author_id, author_name, text, ts) VALUES (1, ?, ?, ?, ?, ?)');
    const t0 = Date.parse('2026-03-01T08:00:00.000Z');
    for (let i = 1; i <= 300; i++) ins.run(String(i), 'jane', 'Jane', i === 10 ? 'an old zebra' : `chatter ${i}`, t0 + i * 60_000);
    db.close();
    archive = Archive.open(file);
    archive.record({ type: 'message', profile: 'fk', room: 'dev', id: '301', author: { id: 'jane', name: 'Jane' }, text: 'a new zebra', time: new Date(t0 + 301 * 60_000).toISOString() });
    archive.flush();
    const s = setup({}, { archive: archiveHistory(archive, () => undefined) });
    rt = s.runtime;
    ui = await mount(s.runtime, { columns: 120, rows: 24 });
    await ui.waitFor((f) => f.includes('#dev'), 'rooms listed');
    await ui.press('/search zebra', KEY.enter);
    const overlay = await ui.waitFor((f) => f.includes('Search "zebra": 1 hit'), 'overlay with the new hit');
    assert.match(overlay, /index being rebuilt: 300 older messages not searched yet/);
    assert.match(overlay, /a new zebra/);
    assert.doesNotMatch(overlay, /an old zebra/);
    // the rebuild done (as the writer thread does it when idle), the old one is found and the note is gone
    assert.deepEqual(archive.search({ text: 'zebra' }).map((h) => h.message.id), ['301', '10']);
    await ui.press(KEY.escape);
    await ui.press('/search zebra', KEY.enter);
    const again = await ui.waitFor((f) => f.includes('Search "zebra": 2 hits'), 'both hits');
    assert.doesNotMatch(again, /index being rebuilt/);
  });

  test('without an archive /search says so in one line', async () => {
    const s = setup();
    rt = s.runtime;
    ui = await mount(s.runtime, { columns: 100, rows: 24 });
    await ui.waitFor((f) => f.includes('#lobby'), 'rooms listed');
    await ui.press('/search zebra', KEY.enter);
    await ui.waitFor((f) => f.includes('/search: no archive'), 'one line');
  });
});
