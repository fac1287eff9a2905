import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive } from '../../src/core/archive/index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-aproc-'));
  dirs.push(d);
  return d;
}
const CHILD = join(import.meta.dirname, 'child.ts');

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
function exit(c: ChildProcess): Promise<number | null> {
  let err = '';
  c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) =>
    c.on('exit', (code) => {
      if (code) process.stderr.write(err);
      resolve(code);
    }),
  );
}
function line(c: ChildProcess, want: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = want.exec(out);
      if (m) resolve(m[0]);
    });
    c.on('exit', () => reject(new Error(`exited before ${want}: ${out}`)));
  });
}

describe('archive across real processes', () => {
  it('three processes queueing at once on one config directory lose and double nothing', async () => {
    const dir = tempDir();
    Archive.open(join(dir, 'archive.db')).close(); // the schema exists; the children race on rows only
    const kids = ['a', 'b', 'c'].map((tag) => child(['queue', dir, 'work', '200', tag]));
    assert.deepEqual(await Promise.all(kids.map(exit)), [0, 0, 0]);
    const a = Archive.open(join(dir, 'archive.db'));
    const got = a.outbox({ profiles: ['work'] }).load();
    a.close();
    assert.equal(got.length, 600);
    assert.equal(new Set(got.map((e) => e.txnId)).size, 600);
    for (const tag of ['a', 'b', 'c']) {
      const mine = got.filter((e) => e.txnId.startsWith(`${tag}-`)).map((e) => Number(e.txnId.split('-')[1]));
      assert.deepEqual(mine, [...Array(200).keys()], `the sends of ${tag} keep their order`);
    }
  });

  it('kill -9 right after a send was queued: the next process finds it queued', async () => {
    const dir = tempDir();
    const c = child(['queue-and-hang', dir, 'work', 'k']);
    const done = exit(c);
    await line(c, /queued k-hang/);
    c.kill('SIGKILL');
    await done;
    await new Promise((r) => setTimeout(r, 300)); // its 200 ms lease runs out
    const a = Archive.open(join(dir, 'archive.db'));
    const got = a.outbox({ profiles: ['work'] }).load();
    a.close();
    assert.deepEqual(got.map((e) => [e.txnId, e.status]), [['k-hang', 'queued']]);
  });

  it('process.exit while the writer thread has batches in hand: the exit listener writes them; nothing lost', async () => {
    const dir = tempDir();
    assert.equal(await exit(child(['record-worker-exit', dir, '20000'])), 0);
    const a = Archive.open(join(dir, 'worker.db'));
    assert.equal([...a.export({ profile: 'work' })].length, 20000);
    a.close();
  });

  it('kill -9 right after Enter in the runtime the TUI runs (server not there): the next start shows it queued', async () => {
    const dir = tempDir();
    const c = child(['runtime-send-and-hang', dir]);
    const done = exit(c);
    const said = await line(c, /sent \S+ \w+ \d+/);
    const [, txn, status, notices] = said.split(' ');
    assert.deepEqual([status, notices], ['pending', '0'], 'shown pending, no archive notice');
    c.kill('SIGKILL');
    await done;
    await new Promise((r) => setTimeout(r, 100));
    const a = Archive.open(join(dir, 'archive.db'));
    // Its 30 s lease has not run out: read the row itself, then let a new process adopt it by ending the lease.
    const row = a.handle.db.prepare('SELECT status, text FROM outbox WHERE txn_id = ?').get(txn!) as { status: string; text: string } | undefined;
    assert.deepEqual(row && { ...row }, { status: 'queued', text: 'sent just before kill -9' });
    a.handle.db.exec('UPDATE outbox SET lease_until = 0');
    assert.deepEqual(a.outbox({ profiles: ['work'] }).load().map((e) => [e.txnId, e.status]), [[txn, 'queued']]);
    a.close();
  });

  it('kill -9 after a flush: every flushed message is there, the database is intact', async () => {
    const dir = tempDir();
    const c = child(['record-and-hang', dir, '3000']);
    const done = exit(c);
    await line(c, /flushed/);
    c.kill('SIGKILL');
    await done;
    const a = Archive.open(join(dir, 'archive.db'));
    assert.equal(a.stats().integrity, 'ok');
    const ids = [...a.export({ profile: 'work' })].map((m) => Number(m.id));
    // 3000 were flushed; the one recorded after may or may not have been written by the writer's own timer.
    assert.ok(ids.length === 3000 || ids.length === 3001, `${ids.length} messages`);
    assert.deepEqual(ids.slice(0, 3000), Array.from({ length: 3000 }, (_, i) => i + 1));
    a.close();
  });
});
