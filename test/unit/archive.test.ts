import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive, ArchiveError, archivePath, archiveSettings, ftsQuery } from '../../src/core/archive/index.js';
import { FTS_CHUNK, indexPending } from '../../src/core/archive/fts.js';
import { migrate, SCHEMA_VERSION } from '../../src/core/archive/schema.js';
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
  it('migrates a version 3 archive (keyed by profile and room) to chat keys: rows, search index and edits survive', () => {
    const file = join(tempDir(), 'v3.db');
    const db = new (sqlite().DatabaseSync)(file);
    migrate(db, 3);
    const ins = db.prepare('INSERT INTO messages (profile, room, id, author_id, author_name, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)');
    ins.run('work', 'general', '1', 'u1', 'Ann', 'the old deploy', T0 + 1000);
    ins.run('work', 'general', '2', 'u1', 'Ann', 'second', T0 + 2000);
    ins.run('work', 'ops', '1', 'u2', 'Bob', 'ops deploy', T0 + 3000);
    ins.run('home', 'general', '1', 'u3', 'Cy', 'home line', T0 + 4000);
    // the search index as version 3 built it (external content, by rowid)
    db.exec(`INSERT INTO messages_fts (rowid, text) SELECT rowid, text FROM messages; UPDATE meta SET value = 4 WHERE key = 'fts_rowid'`);
    db.close();
    const a = Archive.open(file);
    assert.deepEqual(a.last('work', 'general', 10).map((m) => [m.profile, m.room, m.id, m.text]), [
      ['work', 'general', '1', 'the old deploy'],
      ['work', 'general', '2', 'second'],
    ]);
    assert.deepEqual(a.rooms('work').sort(), ['general', 'ops']);
    assert.deepEqual(a.search({ text: 'deploy' }).map((h) => [h.message.room, h.message.id]), [['ops', '1'], ['general', '1']], 'the search index still points at the same rows');
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '1', text: 'the new rollout', time: new Date(T0).toISOString() });
    a.record(msg('3', 'after the migration'));
    a.flush();
    assert.deepEqual(a.search({ text: 'deploy' }).map((h) => h.message.room), ['ops'], 'an edit of a migrated row updates its index entry');
    assert.equal(a.search({ text: 'rollout' })[0]?.message.id, '1');
    assert.deepEqual(a.last('work', 'general', 10).map((m) => m.id), ['1', '2', '3']);
    a.close();
    const check = new (sqlite().DatabaseSync)(file);
    assert.equal((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
    assert.deepEqual((check.prepare('SELECT profile, room FROM chats ORDER BY chat').all() as { profile: string; room: string }[]).map((r) => `${r.profile}/${r.room}`), ['home/general', 'work/general', 'work/ops']);
    assert.equal((check.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    check.close();
  });
  it('migrates a version 4 archive: the search index is rebuilt newest first, searchable meanwhile; an older chat-tui cannot write into it', () => {
    const file = join(tempDir(), 'v4.db');
    const db = new (sqlite().DatabaseSync)(file);
    migrate(db, 4);
    db.exec(`INSERT INTO chats (profile, room) VALUES ('work', 'general')`);
    const ins = db.prepare('INSERT INTO messages (chat, id, author_id, author_name, text, ts) VALUES (1, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 5; i++) ins.run(String(i), 'u1', 'Ann', `deploy number${i}`, T0 + i * 1000);
    db.exec(`INSERT INTO messages_fts (rowid, text) SELECT rowid, text FROM messages; UPDATE meta SET value = 5 WHERE key = 'fts_rowid'`);
    db.close();
    const a = Archive.open(file);
    assert.deepEqual([a.stats().unindexed, a.searchRebuildLeft()], [5, 5], 'the new index starts empty');
    a.record(msg('6', 'deploy six'));
    a.flush();
    assert.deepEqual(a.search({ text: 'deploy', waitForRebuild: false }).map((h) => h.message.id), ['6'], 'new rows are indexed before a search; the rebuild is not waited for');
    assert.equal(a.searchRebuildLeft(), 5);
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '2', text: 'rollout number2', time: new Date(T0).toISOString() });
    a.record({ type: 'message.delete', profile: 'work', room: 'general', id: '4' });
    a.flush();
    // Two rows of the rebuild, as the writer thread does it when idle: the newest first.
    const side = new (sqlite().DatabaseSync)(file);
    assert.equal(indexPending(side, 2), 2);
    side.close();
    assert.deepEqual(a.search({ text: 'deploy', waitForRebuild: false }).map((h) => h.message.id), ['6', '5', '3'], 'the newest of the old rows first (4 is deleted)');
    assert.equal(a.searchRebuildLeft(), 2);
    assert.deepEqual(a.search({ text: 'deploy' }).map((h) => h.message.id), ['6', '5', '3', '1'], 'a search that waits finishes the rebuild');
    assert.deepEqual([a.searchRebuildLeft(), a.stats().unindexed], [0, 0]);
    assert.deepEqual(a.search({ text: 'rollout' }).map((h) => h.message.id), ['2'], 'an edit before its row was rebuilt: indexed with its current text');
    a.record({ type: 'message.edit', profile: 'work', room: 'general', id: '5', text: 'rollout number5', time: new Date(T0).toISOString() });
    a.flush();
    assert.deepEqual(a.search({ text: 'deploy' }).map((h) => h.message.id), ['6', '3', '1'], 'an edit of a rebuilt row updates its entry');
    assert.equal(a.prune({ maxMessages: 4 }), 2);
    assert.deepEqual(a.search({ text: 'number' }).map((h) => h.message.id), ['5', '3'], 'pruned rows leave the index');
    a.close();
    // The statements of version 4 (search, and indexing behind the writes) find no table or key to write to.
    const old = new (sqlite().DatabaseSync)(file);
    assert.throws(() => old.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'deploy'`).all(), /no such table: messages_fts/);
    assert.equal(old.prepare(`SELECT value FROM meta WHERE key = 'fts_rowid'`).get(), undefined);
    assert.doesNotThrow(() => old.exec(`INSERT INTO messages_search (messages_search) VALUES ('integrity-check')`), 'the rebuilt index is sound');
    old.close();
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

  it('one batch of many rooms: multi-row inserts keep the order of messages, edits and deletes', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    for (let i = 1; i <= 40; i++) {
      a.record(msg(String(i), `m${i}`, { room: `r${i % 3}` }));
      if (i === 20) a.record({ type: 'message.edit', profile: 'work', room: 'r2', id: '20', text: 'm20 edited', time: new Date(T0).toISOString() });
      if (i === 33) a.record({ type: 'message.delete', profile: 'work', room: 'r0', id: '33' });
    }
    a.record({ type: 'message.edit', profile: 'work', room: 'nowhere', id: '1', text: 'ignored', time: new Date(T0).toISOString() });
    a.record(msg('20', 'm20', { room: 'r2' })); // a stale copy in the same batch
    assert.equal(a.flush(), true);
    const r2 = a.last('work', 'r2', 100);
    assert.deepEqual(r2.map((m) => m.id), ['2', '5', '8', '11', '14', '17', '20', '23', '26', '29', '32', '35', '38']);
    assert.equal(r2.find((m) => m.id === '20')!.text, 'm20 edited');
    assert.equal(a.last('work', 'r0', 100).find((m) => m.id === '33')!.deleted, true);
    assert.equal(a.last('work', 'r1', 100).length, 14);
    assert.deepEqual(a.rooms('work').sort(), ['r0', 'r1', 'r2'], 'an edit of an unknown room creates no room');
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

  it('the writer thread runs at nice 19 on Linux, the main thread keeps its priority', { skip: process.platform !== 'linux' }, async () => {
    const nice = (): Map<string, number[]> => {
      const by = new Map<string, number[]>();
      for (const task of readdirSync('/proc/self/task')) {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        // Field 19 of /proc/[pid]/task/[tid]/stat is the nice value (man 5 proc); fields after the comm.
        const n = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        by.set(comm, [...(by.get(comm) ?? []), n]);
      }
      return by;
    };
    const base = getPriority();
    // The writer thread of the test before may still be exiting (closeAsync resolves before its thread is gone).
    let before = nice();
    for (let i = 0; i < 100 && (before.get('WorkerThread') ?? []).includes(19); i++) {
      await new Promise((r) => setTimeout(r, 50));
      before = nice();
    }
    const a = Archive.open(join(tempDir(), 'a.db'), { worker: true });
    await a.startWriter();
    const after = nice();
    await a.closeAsync();
    const main = after.get(readFileSync('/proc/self/comm', 'utf8').trim()) ?? [];
    assert.ok(main.length > 0 && main.every((n) => n === base), `main thread at its nice (${base}): ${JSON.stringify([...after])}`);
    assert.ok(!(before.get('WorkerThread') ?? []).includes(19), 'no thread at nice 19 before the writer');
    assert.ok((after.get('WorkerThread') ?? []).includes(19), `the writer thread at nice 19: ${JSON.stringify([...after])}`);
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

  it('a last word of 2-3 letters is one prefix walk (newest prefix matches); a longer or 1-letter one is a whole word first', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    a.record(msg('1', 'dep deplo d'));
    a.record(msg('2', 'dep deplo d'));
    a.record(msg('3', 'deployment dx'));
    assert.deepEqual(a.search({ text: 'dep', limit: 2 }).map((h) => h.message.id), ['3', '2'], 'the prefix index: newest first');
    assert.deepEqual(a.search({ text: 'deplo', limit: 2 }).map((h) => h.message.id), ['2', '1'], 'whole words fill the limit first');
    assert.deepEqual(a.search({ text: 'deplo', limit: 3 }).map((h) => h.message.id), ['3', '2', '1'], 'then the prefix');
    assert.deepEqual(a.search({ text: 'd', limit: 3 }).map((h) => h.message.id), ['2', '1'], 'no index of 1-letter prefixes: a 1-letter word is a whole word only');
    assert.deepEqual(a.search({ text: 'deployment d' }), [], 'also as the last of several words');
    assert.deepEqual(a.search({ text: 'dep d' }).map((h) => h.message.id), ['2', '1']);
    assert.equal(ftsQuery('deploy s'), '"deploy" "s"');
    assert.equal(ftsQuery('deploy e-ma'), '"deploy" "e-ma"*', 'the last token of a word with punctuation counts');
    assert.equal(ftsQuery('deploy mail-x'), '"deploy" "mail-x"');
    a.close();
  });

  it('the search index is written in ascending search rowids: one segment per chunk, not one per row', () => {
    const a = Archive.open(join(tempDir(), 'a.db'));
    for (let i = 1; i <= 2 * FTS_CHUNK + 10; i++) a.record(msg(String(i), `word${i % 7} text${i}`));
    a.flush();
    assert.equal(a.search({ text: 'word3', limit: 1 })[0]?.message.id, String(2 * FTS_CHUNK + 10 - ((2 * FTS_CHUNK + 10 - 3) % 7)));
    a.close();
    const db = new (sqlite().DatabaseSync)(a.file);
    const segments = (db.prepare('SELECT count(DISTINCT segid) AS n FROM messages_search_idx').get() as { n: number }).n;
    db.close();
    // FTS5 starts a new segment whenever a transaction's rowids go down (each row, in the wrong order).
    assert.ok(segments >= 1 && segments <= 3, `${segments} segments for 3 chunks`);
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
