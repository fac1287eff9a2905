import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive, ArchiveError, archivePath, archiveSettings, ftsQuery } from '../../src/core/archive/index.js';
import { SCHEMA_VERSION } from '../../src/core/archive/schema.js';
import { sqlite } from '../../src/core/archive/sqlite.js';
import type { MessageEvent } from '../../src/core/events.js';
import { ConfigStore } from '../../src/config/store.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-archive-'));
  dirs.push(d);
  return d;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
function msg(id: string, text: string, extra: Partial<MessageEvent> = {}): MessageEvent {
  return { type: 'message', profile: 'work', room: 'general', id, author: { id: 'u1', name: 'Ann' }, text, time: new Date(T0 + Number(id) * 1000).toISOString(), ...extra };
}

describe('archive: database', () => {
  it('creates the file 0600 in a 0700 directory, WAL, schema at user_version', () => {
    const file = join(tempDir(), 'deep', 'archive.db');
    const a = Archive.open(file);
    a.record(msg('1', 'hello'));
    a.close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    const db = new (sqlite().DatabaseSync)(file);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
    db.close();
    // Reopening a migrated file migrates nothing and keeps the rows.
    const b = Archive.open(file);
    assert.equal(b.last('work', 'general', 10).length, 1);
    b.close();
  });

  it('lives next to the config with CHAT_TUI_CONFIG_DIR, else in the XDG data dir', () => {
    assert.equal(archivePath('/cfg', { CHAT_TUI_CONFIG_DIR: '/cfg' }), '/cfg/archive.db');
    if (process.platform === 'linux') assert.equal(archivePath('/home/x/.config/chat-tui', { XDG_DATA_HOME: '/d' }), '/d/chat-tui/archive.db');
  });

  it('settings: false turns it off, numbers are limits, junk falls back to defaults', () => {
    assert.equal(archiveSettings(false).enabled, false);
    assert.equal(archiveSettings(undefined).enabled, true);
    assert.deepEqual(archiveSettings({ maxAgeDays: 7, maxMessages: -1 }), { enabled: true, maxAgeDays: 7, maxMessages: 1_000_000 });
  });

  it('the config key: false and limits are read back, a wrong type is one usage line', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles: {}, archive: { maxAgeDays: 30, maxMessages: 5000 } }), { mode: 0o600 });
    assert.deepEqual(archiveSettings(ConfigStore.open({ dir }).archive()), { enabled: true, maxAgeDays: 30, maxMessages: 5000 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles: {}, archive: false }), { mode: 0o600 });
    assert.equal(archiveSettings(ConfigStore.open({ dir }).archive()).enabled, false);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles: {}, archive: 'yes' }), { mode: 0o600 });
    assert.throws(() => ConfigStore.open({ dir }), /config file .* is unusable/);
  });
});

describe('archive: messages', () => {
  it('dedupes by (profile, room, id); an older copy never undoes an edit; a delete is final', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    a.record(msg('1', 'first'));
    a.record(msg('1', 'first'));
    a.record(msg('1', 'first', { room: 'other' }));
    a.record(msg('2', 'second'));
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '2', text: 'second, edited', time: new Date(T0).toISOString() });
    a.record(msg('2', 'second')); // backfill's stale copy
    a.record(msg('3', 'third'));
    a.record({ type: 'message.delete', profile: 'work', room: 'general', id: '3' });
    a.record(msg('3', 'third'));
    const got = a.last('work', 'general', 10);
    assert.deepEqual(
      got.map((m) => [m.id, m.text, m.edited, m.deleted]),
      [
        ['1', 'first', false, false],
        ['2', 'second, edited', true, false],
        ['3', '', false, true],
      ],
    );
    assert.equal(a.last('work', 'other', 10).length, 1);
    assert.deepEqual(a.search({ text: 'third' }), [], 'a deleted message is not found');
    a.close();
  });

  it('writes one transaction per batch, not per message', () => {
    const batches: number[] = [];
    const a = Archive.open(join(tempDir(), 'a.db'), { onFlush: (n) => batches.push(n) });
    for (let i = 1; i <= 500; i++) a.record(msg(String(i), `m${i}`));
    assert.equal(a.pending, 500);
    a.flush();
    assert.deepEqual(batches, [500]);
    a.close();
  });

  it('on a writer thread: batches are committed there; closeAsync waits for them; nothing is lost', async () => {
    const file = join(tempDir(), 'a.db');
    const batches: number[] = [];
    const a = Archive.open(file, { worker: true, onFlush: (n) => batches.push(n) });
    for (let i = 1; i <= 5000; i++) {
      a.record(msg(String(i), `m${i}`));
      if (i === 2500) a.flush();
    }
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '7', text: 'seven', time: new Date(T0).toISOString() });
    await a.closeAsync();
    assert.ok(batches.length >= 2, `one transaction per batch, not per message (${batches.length})`);
    assert.equal(batches.reduce((x, y) => x + y, 0), 5001);
    const b = Archive.open(file);
    assert.equal([...b.export({ profile: 'work' })].length, 5000);
    assert.equal(b.last('work', 'general', 5000).find((m) => m.id === '7')!.text, 'seven');
    b.close();
  });

  it('reads the last N and the N before a cursor, oldest first (scrollback)', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    for (let i = 1; i <= 50; i++) a.record(msg(String(i), `m${i}`));
    const last = a.last('work', 'general', 5);
    assert.deepEqual(last.map((m) => m.id), ['46', '47', '48', '49', '50']);
    const older = a.before('work', 'general', last[0]!, 3);
    assert.deepEqual(older.map((m) => m.id), ['43', '44', '45']);
    assert.deepEqual(a.before('work', 'general', { ts: T0 + 1000, id: '1' }, 3), []);
    assert.deepEqual(a.rooms('work'), ['general']);
    a.close();
  });

  it('searches words (prefix on the last), per profile/room, newest first or ranked, with context', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    a.record(msg('1', 'deploy the server'));
    a.record(msg('2', 'lunch?'));
    a.record(msg('3', 'deployment finished'));
    a.record(msg('4', 'Déploy with accents', { room: 'ops' }));
    a.record(msg('5', 'deploy', { profile: 'home' }));
    a.record(msg('6', 'after'));
    assert.deepEqual(a.search({ text: 'depl' }).map((h) => h.message.id), ['5', '4', '3', '1']);
    assert.deepEqual(a.search({ text: 'deploy', profile: 'work', room: 'general' }).map((h) => h.message.id), ['3', '1']);
    assert.deepEqual(a.search({ text: 'deploy the', profile: 'work', room: 'general' }).map((h) => h.message.id), ['1'], 'only the last word is a prefix');
    assert.deepEqual(a.search({ text: 'deploy server' }).map((h) => h.message.id), ['1']);
    assert.equal(a.search({ text: 'deploy', order: 'rank' }).length, 4);
    const [hit] = a.search({ text: 'deployment', context: 1 });
    assert.deepEqual([hit!.before.map((m) => m.id), hit!.after.map((m) => m.id)], [['2'], ['6']]);
    // FTS5 syntax typed by a user is text, not an error.
    assert.deepEqual(a.search({ text: '"NEAR( AND *' }), []);
    assert.equal(ftsQuery('  '), undefined);
    a.close();
  });

  it('the search index is built behind the writes: a search indexes what is left; edits and deletes of indexed rows follow', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    a.record(msg('1', 'alpha one'));
    a.record(msg('2', 'beta two'));
    a.flush();
    assert.equal(a.stats().unindexed, 2);
    assert.deepEqual(a.search({ text: 'alpha' }).map((h) => h.message.id), ['1']);
    assert.equal(a.stats().unindexed, 0);
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '1', text: 'gamma one', time: new Date(T0).toISOString() });
    a.record({ type: 'message.delete', profile: 'work', room: 'general', id: '2' });
    a.record(msg('3', 'alpha three'));
    assert.deepEqual(a.search({ text: 'alpha' }).map((h) => h.message.id), ['3']);
    assert.deepEqual(a.search({ text: 'gamma' }).map((h) => h.message.id), ['1']);
    assert.deepEqual(a.search({ text: 'beta' }), []);
    a.close();
  });

  it('exports a profile in time order, by room and since a time', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    for (let i = 1; i <= 2500; i++) a.record(msg(String(i), `m${i}`, { room: i % 2 ? 'odd' : 'even' }));
    a.record(msg('9', 'other profile', { profile: 'home' }));
    const all = [...a.export({ profile: 'work' })];
    assert.equal(all.length, 2500);
    assert.ok(all.every((m, i) => i === 0 || all[i - 1]!.ts <= m.ts));
    assert.equal([...a.export({ profile: 'work', room: 'odd' })].length, 1250);
    assert.deepEqual([...a.export({ profile: 'work', since: T0 + 2499_000 })].map((m) => m.id), ['2499', '2500']);
    a.close();
  });

  it('prunes by age, then the oldest beyond maxMessages; the search index follows', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    for (let i = 1; i <= 100; i++) a.record(msg(String(i), `word${i} common`));
    assert.equal(a.prune({ maxAgeDays: 1 }, T0 + 86_400_000 + 10_500), 10);
    assert.equal(a.prune({ maxMessages: 50 }), 40);
    const left = [...a.export({ profile: 'work' })];
    assert.deepEqual([left[0]!.id, left.length], ['51', 50]);
    assert.equal(a.search({ text: 'word10 common' }).length, 0);
    assert.equal(a.search({ text: 'word100 common' }).length, 1);
    assert.equal(a.search({ text: 'common', limit: 1000 }).length, 50);
    a.close();
  });
});

describe('archive: failures are one line and lose nothing written', () => {
  it('a corrupt file: ArchiveError kind corrupt, one line', () => {
    const file = join(tempDir(), 'archive.db');
    writeFileSync(file, 'this is not a database, it is just text '.repeat(200));
    assert.throws(
      () => Archive.open(file),
      (e: unknown) => e instanceof ArchiveError && e.kind === 'corrupt' && !e.message.includes('\n') && e.message.includes(file),
    );
  });

  it('a full database (max_page_count): the batch is kept, reported once, and written when there is room', () => {
    const file = join(tempDir(), 'archive.db');
    const errors: ArchiveError[] = [];
    const a = Archive.open(file, { onError: (e) => errors.push(e) });
    for (let i = 1; i <= 10; i++) a.record(msg(String(i), `kept ${i}`));
    assert.equal(a.flush(), true);
    const db = a.handle.db;
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages}`);
    for (let i = 11; i <= 2000; i++) a.record(msg(String(i), `late ${i} `.repeat(20)));
    assert.equal(a.flush(), false);
    assert.equal(a.flush(), false);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.kind, 'full');
    assert.match(errors[0]!.message, /disk is full/);
    assert.equal(a.last('work', 'general', 100).length, 10, 'what was written is intact');
    db.exec('PRAGMA max_page_count = 1073741823');
    assert.equal(a.flush(), true);
    assert.equal([...a.export({ profile: 'work' })].length, 2000);
    a.close();
  });
});
