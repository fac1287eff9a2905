import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonOutbox, OUTBOX_FILE } from '../../src/core/runtime/json-outbox.js';
import { UNCONFIRMED_REASON } from '../../src/core/runtime/outbox.js';
import type { OutboxEntry } from '../../src/core/runtime/outbox.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-outbox-'));
  dirs.push(d);
  return d;
}

function entry(txnId: string, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return { txnId, profile: 'work', room: 'general', text: `text ${txnId}`, time: '2024-01-01T00:00:00.000Z', status: 'queued', attempts: 0, rateLimited: 0, ...extra };
}

describe('JsonOutbox', () => {
  it('works in memory without a state directory', () => {
    const o = new JsonOutbox();
    o.add(entry('a'));
    o.add(entry('b', { profile: 'home' }));
    assert.equal(o.path, undefined);
    assert.equal(o.head('work')!.txnId, 'a');
    assert.equal(o.head('home')!.txnId, 'b');
    assert.equal(o.head('none'), undefined);
    assert.deepEqual(o.load(), []);
  });

  it('keeps send order per profile; failed entries are skipped by head(); moveToEnd requeues last', () => {
    const o = new JsonOutbox();
    for (const t of ['a', 'b', 'c']) o.add(entry(t));
    o.update('a', { status: 'failed', error: 'refused' });
    assert.equal(o.head('work')!.txnId, 'b');
    o.update('a', { status: 'queued' });
    assert.equal(o.get('a')!.error, undefined, 'requeue clears the error');
    o.moveToEnd('a');
    assert.deepEqual(o.entries().map((e) => e.txnId), ['b', 'c', 'a']);
    assert.equal(o.remove('b'), true);
    assert.equal(o.remove('b'), false);
    assert.equal(o.head('work')!.txnId, 'c');
  });

  it('persists on every change with 0600 in a 0700 directory and round-trips', () => {
    const dir = join(tempDir(), 'nested', 'state');
    const o = new JsonOutbox({ stateDir: dir });
    o.add(entry('a', { author: { id: 'me', name: 'Me' } }));
    o.add(entry('b'));
    o.update('b', { status: 'failed', error: 'room is closed' });
    const file = join(dir, OUTBOX_FILE);
    assert.equal(o.path, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const o2 = new JsonOutbox({ stateDir: dir });
    const loaded = o2.load();
    assert.deepEqual(
      loaded.map((e) => [e.txnId, e.status, e.error, e.author?.name]),
      [
        ['a', 'queued', undefined, 'Me'],
        ['b', 'failed', 'room is closed', undefined],
      ],
    );
    o2.remove('a');
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { entries: { txnId: string }[] }).entries.map((e) => e.txnId), ['b']);
    assert.ok(!existsSync(`${file}.${process.pid}.tmp`), 'no temp file left');
  });

  it('turns entries that were being sent into failed ones on load', () => {
    const dir = tempDir();
    const o = new JsonOutbox({ stateDir: dir });
    o.add(entry('a'));
    o.update('a', { status: 'sending' });
    const loaded = new JsonOutbox({ stateDir: dir }).load();
    assert.equal(loaded[0]!.status, 'failed');
    assert.equal(loaded[0]!.error, UNCONFIRMED_REASON);
  });

  it('skips malformed entries and keeps the good ones', () => {
    const dir = tempDir();
    const good = entry('ok');
    writeFileSync(
      join(dir, OUTBOX_FILE),
      JSON.stringify({ version: 1, entries: [null, 5, { txnId: 'x' }, { ...good, txnId: '' }, { ...good, text: 42 }, { ...good, status: 'weird', time: 'nope' }, good] }),
      { mode: 0o600 },
    );
    const warnings: string[] = [];
    const loaded = new JsonOutbox({ stateDir: dir, warn: (t) => warnings.push(t) }).load();
    assert.deepEqual(loaded.map((e) => [e.txnId, e.status]), [
      ['ok', 'failed'],
      ['ok', 'queued'],
    ]);
    assert.ok(Number.isFinite(Date.parse(loaded[0]!.time)), 'a bad time is replaced');
    assert.deepEqual(warnings, []);
  });

  it('moves an unreadable file aside with a warning and starts empty', () => {
    const dir = tempDir();
    const file = join(dir, OUTBOX_FILE);
    writeFileSync(file, '{not json', { mode: 0o600 });
    const warnings: string[] = [];
    const o = new JsonOutbox({ stateDir: dir, warn: (t) => warnings.push(t) });
    assert.deepEqual(o.load(), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /unreadable/);
    assert.equal(readFileSync(`${file}.bad`, 'utf8'), '{not json');
  });

  it('tightens a loose directory and file with a warning', () => {
    const dir = join(tempDir(), 'loose');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const file = join(dir, OUTBOX_FILE);
    writeFileSync(file, JSON.stringify({ version: 1, entries: [] }));
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    new JsonOutbox({ stateDir: dir, warn: (t) => warnings.push(t) }).load();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(warnings.length, 2, warnings.join('\n'));
  });

  it('reports a write failure once and keeps working in memory', () => {
    const base = tempDir();
    const blocker = join(base, 'file');
    writeFileSync(blocker, 'x');
    const warnings: string[] = [];
    const o = new JsonOutbox({ stateDir: join(blocker, 'state'), warn: (t) => warnings.push(t) }); // a file where a dir should be
    o.add(entry('a'));
    o.add(entry('b'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cannot write/);
    assert.deepEqual(o.entries().map((e) => e.txnId), ['a', 'b']);
  });
});
