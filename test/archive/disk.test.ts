import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive, ArchiveError } from '../../src/core/archive/index.js';
import type { MessageEvent } from '../../src/core/events.js';

/**
 * The archive on a real full disk and a real read-only file system: a small tmpfs (needs root and
 * `mount -t tmpfs`; skipped where the machine does not allow it — the simulated SQLITE_FULL of
 * test/unit/archive.test.ts runs everywhere).
 */

const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' }); // lazy: a failed test may still hold a file open
    } catch {
      // already gone
    }
    rmSync(m, { recursive: true, force: true });
  }
});

/** A fresh tmpfs of `size` (e.g. '2m'), or undefined when mounting is not allowed here. */
function tmpfs(size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'chat-tui-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  mounts.push(dir);
  return dir;
}
const canMount = (() => {
  const d = tmpfs('64k');
  return d !== undefined;
})();

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
function msg(i: number, text: string): MessageEvent {
  return { type: 'message', profile: 'work', room: 'general', id: String(i), author: { id: 'u', name: 'U' }, text, time: new Date(T0 + i * 1000).toISOString() };
}

describe('archive on a real disk that fills up or turns read-only', { skip: canMount ? false : 'mount -t tmpfs is not allowed here' }, () => {
  it('a full disk: one line (kind full), the app goes on, what was written stays, queued sends are not reported as written', () => {
    const dir = tmpfs('1m')!;
    const errors: ArchiveError[] = [];
    const warnings: string[] = [];
    const a = Archive.open(join(dir, 'archive.db'), { onError: (e) => errors.push(e) });
    const outbox = a.outbox({ warn: (l) => warnings.push(l) });
    outbox.load();
    assert.equal(outbox.add({ txnId: 'before', profile: 'work', room: 'general', text: 'queued while there was room', time: new Date().toISOString(), status: 'queued', attempts: 0, rateLimited: 0 }), true);
    for (let i = 1; i <= 20; i++) a.record(msg(i, `early ${i}`));
    assert.equal(a.flush(), true);
    let i = 21;
    for (let round = 0; round < 200 && errors.length === 0; round++) {
      for (let k = 0; k < 200; k++, i++) a.record(msg(i, `filler ${i} `.repeat(30)));
      a.flush();
    }
    assert.equal(errors.length, 1, 'said once');
    assert.equal(errors[0]!.kind, 'full');
    assert.ok(!errors[0]!.message.includes('\n'));
    assert.equal(outbox.add({ txnId: 'after', profile: 'work', room: 'general', text: 'x'.repeat(200_000), time: new Date().toISOString(), status: 'queued', attempts: 0, rateLimited: 0 }), false);
    assert.match(warnings.join('\n'), /disk is full/);
    assert.deepEqual([...a.export({ profile: 'work' })].slice(0, 20).map((m) => m.text), Array.from({ length: 20 }, (_, k) => `early ${k + 1}`));
    outbox.release();
    a.close();
    const b = Archive.open(join(dir, 'archive.db'));
    assert.equal(b.stats().integrity, 'ok');
    assert.deepEqual(b.outbox().load().map((e) => e.txnId), ['before']);
    b.close();
  });

  it('a read-only file system: opening says so in one line, and nothing written before is lost', () => {
    const dir = tmpfs('4m')!;
    const file = join(dir, 'archive.db');
    const a = Archive.open(file);
    for (let i = 1; i <= 10; i++) a.record(msg(i, `kept ${i}`));
    a.close();
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    assert.throws(
      () => Archive.open(file),
      (e: unknown) => e instanceof ArchiveError && (e.kind === 'readonly' || e.kind === 'unavailable') && !e.message.includes('\n'),
    );
    execFileSync('mount', ['-o', 'remount,rw', dir]);
    const r = Archive.open(file);
    assert.deepEqual(r.last('work', 'general', 100).map((m) => m.text), Array.from({ length: 10 }, (_, k) => `kept ${k + 1}`));
    r.close();
  });
});
