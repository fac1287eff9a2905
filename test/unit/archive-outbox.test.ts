import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive, NOT_SAVED, UNCONFIRMED } from '../../src/core/archive/index.js';
import type { OutboxEntry } from '../../src/core/archive/index.js';

const dirs: string[] = [];
const open: Archive[] = [];
after(() => {
  for (const a of open) a.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-aoutbox-'));
  dirs.push(d);
  return d;
}
function archive(dir: string): Archive {
  const a = Archive.open(join(dir, 'archive.db'));
  open.push(a);
  return a;
}
function entry(txnId: string, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return { txnId, profile: 'work', room: 'general', text: `text ${txnId}`, time: '2026-01-01T00:00:00.000Z', status: 'queued', attempts: 0, rateLimited: 0, ...extra };
}

describe('SQLite outbox', () => {
  it('commits a send before add returns; keeps order; claim, update, moveToEnd, remove', () => {
    const dir = tempDir();
    const o = archive(dir).outbox();
    o.load();
    for (const t of ['a', 'b', 'c']) assert.equal(o.add(entry(t)), true);
    // A second connection sees the rows at once (committed).
    const other = archive(dir).outbox({ leaseMs: 60_000 });
    assert.deepEqual(other.load(), [], 'rows under a live lease are not adopted');
    assert.equal(o.claim('a'), true);
    assert.equal(o.get('a')!.status, 'sending');
    o.update('b', { status: 'failed', error: 'refused' });
    assert.equal(o.head('work')!.txnId, 'a');
    o.remove('a');
    assert.equal(o.head('work')!.txnId, 'c');
    o.update('b', { status: 'queued' });
    o.moveToEnd('b');
    assert.deepEqual(o.entries().map((e) => e.txnId), ['c', 'b']);
    o.release();
    const next = archive(dir).outbox();
    assert.deepEqual(next.load().map((e) => [e.txnId, e.status]), [
      ['c', 'queued'],
      ['b', 'queued'],
    ]);
    next.release();
  });

  it('a quitting process leaves its rows to another one; a claimed (sending) row comes back failed, never resent', () => {
    const dir = tempDir();
    const a = archive(dir).outbox();
    a.load();
    a.add(entry('q'));
    a.add(entry('s'));
    assert.equal(a.claim('s'), true);
    const adopted: OutboxEntry[] = [];
    const b = archive(dir).outbox({ leaseMs: 60, onAdopt: (es) => adopted.push(...es) });
    assert.deepEqual(b.load(), []);
    a.release();
    const deadline = Date.now() + 2000;
    while (adopted.length < 2 && Date.now() < deadline) {
      // the renewal timer is unref'd; spin the loop until it ran
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      (b as unknown as { tick(): void }).tick();
    }
    assert.deepEqual(adopted.map((e) => [e.txnId, e.status, e.error]), [
      ['q', 'queued', undefined],
      ['s', 'failed', UNCONFIRMED],
    ]);
    assert.equal(a.claim('q'), false, 'the old owner cannot claim what it gave up');
    b.release();
  });

  it('a killed process (its lease ran out) is adopted by exactly one of two processes', () => {
    const dir = tempDir();
    const dead = archive(dir).outbox({ leaseMs: 50 });
    dead.load();
    for (const t of ['1', '2', '3']) dead.add(entry(t));
    (dead as unknown as { released: boolean }).released = true; // stops renewing, as a killed process would
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
    const x = archive(dir).outbox().load();
    const y = archive(dir).outbox().load();
    assert.deepEqual([...x, ...y].map((e) => e.txnId).sort(), ['1', '2', '3']);
    assert.equal(x.length === 0 || y.length === 0, true);
  });

  it('adopts only rows of the profiles it runs', () => {
    const dir = tempDir();
    const a = archive(dir).outbox();
    a.load();
    a.add(entry('w'));
    a.add(entry('h', { profile: 'home' }));
    a.release();
    assert.deepEqual(archive(dir).outbox({ profiles: ['home'] }).load().map((e) => e.txnId), ['h']);
    assert.deepEqual(archive(dir).outbox({ profiles: [] }).load(), []);
  });

  it('add returns false (and warns once) when the row cannot be written: kept failed in memory, written by a retry once there is room', () => {
    const dir = tempDir();
    const warnings: string[] = [];
    const a = archive(dir);
    const o = a.outbox({ warn: (l) => warnings.push(l) });
    o.load();
    const db = a.handle.db;
    // Fill the database to its page limit, then add.
    db.exec('CREATE TABLE filler (x)');
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages + 1}`);
    assert.throws(() => {
      for (;;) db.prepare('INSERT INTO filler VALUES (randomblob(3000))').run();
    });
    assert.equal(o.add(entry('big', { text: 'x'.repeat(20_000) })), false);
    assert.deepEqual([o.get('big')!.status, o.get('big')!.error], ['failed', NOT_SAVED]);
    assert.equal(o.update('big', { status: 'queued' })!.status, 'failed', 'a retry while still full stays failed');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /disk is full.*kept in memory only/);
    const rows = () => (db.prepare('SELECT txn_id, status FROM outbox').all() as { txn_id: string; status: string }[]).map((r) => [r.txn_id, r.status]);
    assert.deepEqual(rows(), []);
    db.exec('DROP TABLE filler');
    db.exec('PRAGMA max_page_count = 1073741823');
    assert.equal(o.update('big', { status: 'queued' })!.status, 'queued');
    assert.deepEqual(rows(), [['big', 'queued']]);
    assert.equal(o.claim('big'), true);
  });

  it('imports the old outbox.json once (a second process, a re-created file), keeps malformed entries aside and says so', () => {
    const dir = tempDir();
    const legacy = {
      version: 1,
      entries: [
        { txnId: 'old1', profile: 'work', room: 'general', text: 'queued before', time: '2025-01-01T00:00:00.000Z', status: 'queued', attempts: 2, rateLimited: 0 },
        { txnId: 'old2', profile: 'work', room: 'general', text: 'was in flight', time: '2025-01-01T00:00:01.000Z', status: 'sending', attempts: 0, rateLimited: 0 },
        { txnId: 'bad', profile: 'work', text: 'no room' },
      ],
    };
    writeFileSync(join(dir, 'outbox.json'), JSON.stringify(legacy));
    const warnings: string[] = [];
    const got = archive(dir).outbox({ legacyDir: dir, warn: (l) => warnings.push(l) }).load();
    assert.deepEqual(got.map((e) => [e.txnId, e.status]), [
      ['old1', 'queued'],
      ['old2', 'failed'],
    ]);
    assert.equal(got[1]!.error, UNCONFIRMED);
    assert.equal(existsSync(join(dir, 'outbox.json')), false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /1 entry .* could not be read.*outbox\.json\.bad/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'outbox.json.bad'), 'utf8')).entries, [legacy.entries[2]]);
    // The same file again (a process that read it before the unlink): nothing doubles.
    writeFileSync(join(dir, 'outbox.json'), JSON.stringify(legacy));
    const again = archive(dir).outbox({ legacyDir: dir, profiles: ['work'] });
    again.load();
    const rows = archive(dir).handle.db.prepare('SELECT txn_id FROM outbox ORDER BY seq').all() as { txn_id: string }[];
    assert.deepEqual(rows.map((r) => r.txn_id), ['old1', 'old2']);
  });

  it('an unreadable outbox.json is moved aside with a warning', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'outbox.json'), '{not json');
    const warnings: string[] = [];
    archive(dir).outbox({ legacyDir: dir, warn: (l) => warnings.push(l) }).load();
    assert.match(warnings.join('\n'), /unreadable; moved aside/);
    assert.equal(existsSync(join(dir, 'outbox.json.bad')), true);
  });
});
