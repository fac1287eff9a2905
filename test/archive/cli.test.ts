import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Archive } from '../../src/core/archive/index.js';
import { migrate } from '../../src/core/archive/schema.js';
import { sqlite } from '../../src/core/archive/sqlite.js';
import type { MessageEvent } from '../../src/core/events.js';
import { Cli } from '../cli/helpers.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
function msg(i: number, text: string, extra: Partial<MessageEvent> = {}): MessageEvent {
  return { type: 'message', profile: 'work', room: 'general', id: String(i), author: { id: 'u1', name: 'Ann' }, text, time: new Date(T0 + i * 60_000).toISOString(), ...extra };
}

describe('chat-tui search / export / doctor on the archive', () => {
  const cli = new Cli();
  before(() => {
    cli.writeConfig({ profiles: { work: { service: 'chatapi', url: 'http://127.0.0.1:9', token: 'k', rooms: ['general'] } } });
    const a = Archive.open(join(cli.dir, 'archive.db'));
    a.record(msg(1, 'the deploy starts now'));
    a.record(msg(2, 'coffee first'));
    a.record(msg(3, 'deploy done \u001b[2J with an escape'));
    a.record(msg(4, 'deploy elsewhere', { room: 'ops' }));
    a.record(msg(5, 'deploy at home', { profile: 'home' }));
    a.record({ type: 'message.delete', profile: 'work', room: 'general', id: '2' });
    a.close();
  });
  after(() => cli.dispose());

  it('search: newest first across profiles; --profile/--room narrow it; --json gives message events; escapes never reach the terminal', async () => {
    const all = await cli.run(['search', 'deploy']);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /\[home\/general\] Ann: deploy at home$/);
    assert.ok(!all.stdout.includes('\u001b'));
    const narrow = await cli.run(['search', 'deploy', '--profile', 'work', '--room', 'general', '--json']);
    const evs = narrow.stdout.trim().split('\n').map((l) => JSON.parse(l) as MessageEvent);
    assert.deepEqual(evs.map((e) => [e.type, e.profile, e.room, e.id]), [
      ['message', 'work', 'general', '3'],
      ['message', 'work', 'general', '1'],
    ]);
    assert.equal(evs[1]!.time, new Date(T0 + 60_000).toISOString());
    const ctx = await cli.run(['search', 'done', '--context', '1']);
    assert.deepEqual(ctx.stdout.trim().split('\n').length, 2, 'the deleted message is context (shown empty), the hit itself');
    const none = await cli.run(['search', 'nothing-like-this']);
    assert.deepEqual([none.code, none.stdout, none.stderr.trim()], [0, '', 'no archived message matches']);
  });

  it('search on an archive whose search index is being rebuilt (an upgrade): says it indexes first, then finds every message', async () => {
    const c2 = new Cli();
    try {
      c2.writeConfig({ profiles: {} });
      const file = join(c2.dir, 'archive.db');
      const db = new (sqlite().DatabaseSync)(file);
      migrate(db, 4); // before the rebuilt index
      db.exec(`INSERT INTO chats (profile, room) VALUES ('work', 'general')`);
      const ins = db.prepare('INSERT INTO messages (chat, id, author_id, author_name, text, ts) VALUES (1, ?, ?, ?, ?, ?)');
      for (let i = 1; i <= 3; i++) ins.run(String(i), 'u1', 'Ann', `deploy ${i}`, T0 + i * 60_000);
      db.close();
      const r = await c2.run(['search', 'deploy', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as MessageEvent).id), ['3', '2', '1']);
      assert.match(r.stderr, /^indexing 3 archived messages for search first \(once, after an upgrade\)\n$/);
      const again = await c2.run(['search', 'deploy']);
      assert.equal(again.stderr, '', 'once');
    } finally {
      c2.dispose();
    }
  });

  it('export: ndjson oldest first without deleted messages; --room, --since; txt lines; a bad --since is one usage line', async () => {
    const nd = await cli.run(['export', '--profile', 'work']);
    assert.equal(nd.code, 0, nd.stderr);
    assert.deepEqual(nd.stdout.trim().split('\n').map((l) => (JSON.parse(l) as MessageEvent).id), ['1', '3', '4']);
    const since = await cli.run(['export', '--profile', 'work', '--room', 'general', '--since', new Date(T0 + 2 * 60_000).toISOString()]);
    assert.deepEqual(since.stdout.trim().split('\n').map((l) => (JSON.parse(l) as MessageEvent).id), ['3']);
    const txt = await cli.run(['export', '--profile', 'work', '--format', 'txt']);
    assert.match(txt.stdout.split('\n')[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[general\] Ann: the deploy starts now$/);
    const bad = await cli.run(['export', '--profile', 'work', '--since', 'yesterday']);
    assert.deepEqual([bad.code, bad.stderr.trim().split('\n').length], [2, 1]);
    assert.match(bad.stderr, /--since: not an ISO date/);
  });

  it('doctor reports the archive: path, size, rows, quick_check', async () => {
    const r = await cli.run(['doctor', '--offline']);
    assert.match(r.stdout, /ok {4}archive .*archive\.db \(\d+\.\d MiB, 5 messages, 0 in the outbox, quick_check: ok\)/);
  });

  it('a damaged archive: search is one line, exit 1; doctor FAILs with the fix', async () => {
    const other = new Cli();
    try {
      other.writeConfig({ profiles: {} });
      mkdirSync(other.dir, { recursive: true });
      writeFileSync(join(other.dir, 'archive.db'), 'garbage '.repeat(1000));
      const r = await other.run(['search', 'x']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^error: archive .*archive\.db is damaged/);
      const d = await other.run(['doctor', '--offline']);
      assert.match(d.stdout, /FAIL {2}archive .* is damaged/);
      assert.match(d.stdout, /fix: move it aside \(mv /);
    } finally {
      other.dispose();
    }
  });
});
