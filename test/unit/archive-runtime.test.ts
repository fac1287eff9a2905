import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Archive, archiveHistory, ARCHIVE_DEFAULTS, openAppArchive } from '../../src/core/archive/index.js';
import type { Capabilities, ConnectorContext, ConnectorDefinition, ConnectorSession, HistoryOptions, RoomInfo } from '../../src/core/connector.js';
import type { MessageEvent } from '../../src/core/events.js';
import { migrate } from '../../src/core/archive/schema.js';
import { sqlite } from '../../src/core/archive/sqlite.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import type { RuntimeOptions } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';

// The runtime with a real archive (SQLite in a temp dir) and a small in-test connector: the connector
// interface is the seam the runtime is written against.

const CAPS: Capabilities = {
  history: true,
  typingSend: false,
  typingReceive: false,
  presence: false,
  edits: true,
  roomListing: false,
  dms: false,
  join: false,
  readOnly: false,
  moderation: false,
  atMentions: false,
};

const T0 = Date.parse('2026-02-01T00:00:00.000Z');
function serverMsg(i: number, text = `m${i}`): MessageEvent {
  return { type: 'message', profile: '', room: 'general', id: String(i), author: { id: 'u1', name: 'Ann' }, text, time: new Date(T0 + i * 1000).toISOString() };
}

class Session implements ConnectorSession {
  historyCalls: HistoryOptions[] = [];
  /** The server's messages, oldest first. */
  server: MessageEvent[] = [];
  online = true;
  sent: string[] = [];
  constructor(
    readonly ctx: ConnectorContext,
    readonly capabilities: Capabilities,
  ) {}
  async connect(): Promise<void> {
    this.ctx.emit({ type: 'connection', state: 'connecting' });
    if (!this.online) return new Promise(() => undefined);
    this.ctx.emit({ type: 'connection', state: 'connected' });
  }
  async disconnect(): Promise<void> {}
  reconnectNow(): void {}
  rooms(): RoomInfo[] {
    return [{ id: 'general', name: '#general' }];
  }
  async send(room: string, text: string): Promise<MessageEvent> {
    this.sent.push(text);
    const m = serverMsg(10_000 + this.sent.length, text);
    return { ...m, room, author: { id: 'me', name: 'Me' } };
  }
  async history(_room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    this.historyCalls.push(opts);
    let list = this.server;
    if (opts.before !== undefined) list = list.filter((m) => Number(m.id) < Number(opts.before));
    return list.slice(-(opts.limit ?? 100));
  }
  live(m: MessageEvent): void {
    this.ctx.emit(m);
  }
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-art-'));
  dirs.push(d);
  return d;
}

const K = roomKey('work', 'general');

function runtime(dir: string, o: { caps?: Partial<Capabilities>; setup?: (s: Session) => void; extra?: Partial<RuntimeOptions>; rooms?: string[] } = {}) {
  const sessions: Session[] = [];
  const def: ConnectorDefinition = {
    id: 'fake',
    displayName: 'Fake',
    capabilities: { ...CAPS, ...o.caps },
    profileFields: [],
    validate() {},
    create(ctx) {
      const s = new Session(ctx, { ...CAPS, ...o.caps });
      o.setup?.(s);
      sessions.push(s);
      return s;
    },
  };
  const store = new SessionStore({ notifyIntervalMs: 0 });
  let rt: ChatRuntime | undefined;
  const app = openAppArchive({ dir, settings: ARCHIVE_DEFAULTS, profiles: ['work'], notice: (l) => store.addNotice('', 'error', l), adopt: (es) => rt?.adoptOutbox(es), env: { CHAT_TUI_CONFIG_DIR: dir } });
  rt = new ChatRuntime({
    profiles: [{ name: 'work', service: 'fake', rooms: o.rooms ?? ['general'] }],
    getConnector: () => def,
    resolveToken: async () => 'token',
    saveProfile: async () => undefined,
    store,
    ...(app.outbox ? { outbox: app.outbox } : {}),
    ...(app.history ? { archive: app.history } : {}),
    ...o.extra,
  });
  return { rt, store, sessions, app };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const ids = (store: SessionStore) => store.getState().rooms[K]!.messages.map((m) => m.id);

describe('the runtime on the archive', () => {
  it('a restart shows the archived messages at once (marked archived); the server page merges by id, nothing doubled or reordered', async () => {
    const dir = tempDir();
    const one = runtime(dir);
    await one.rt.start();
    for (let i = 1; i <= 5; i++) one.sessions[0]!.live(serverMsg(i));
    one.sessions[0]!.live({ type: 'message.edit', profile: '', room: 'general', id: '2', text: 'm2 edited', time: new Date().toISOString() } as never);
    await one.rt.stop();
    await one.app.close();

    const two = runtime(dir, {
      setup: (s) => {
        s.online = false;
      },
    });
    // Before start(): the first frame's store already holds them.
    const room = two.store.getState().rooms[K]!;
    assert.deepEqual(room.messages.map((m) => [m.id, m.text, m.archived]), [
      ['1', 'm1', true],
      ['2', 'm2 edited', true],
      ['3', 'm3', true],
      ['4', 'm4', true],
      ['5', 'm5', true],
    ]);
    await two.rt.stop();
    await two.app.close();

    // Online: the server has 3..7 (6 and 7 were missed while chat-tui was not running).
    const three = runtime(dir, {
      setup: (s) => {
        s.server = [3, 4, 5, 6, 7].map((i) => serverMsg(i));
      },
    });
    await three.rt.start();
    await until(() => ids(three.store).includes('7'), 'the catch-up page');
    const msgs = three.store.getState().rooms[K]!.messages;
    assert.deepEqual(msgs.map((m) => m.id), ['1', '2', '3', '4', '5', '6', '7']);
    assert.deepEqual(msgs.filter((m) => m.archived).map((m) => m.id), ['1', '2'], 'what the server sent is confirmed');
    await three.rt.stop();
    await three.app.close();
  });

  it("the server's history pages are archived too (scrollback and catch-up), and a restart without the server shows them", async () => {
    const dir = tempDir();
    const one = runtime(dir, {
      setup: (s) => {
        s.server = [1, 2, 3].map((i) => serverMsg(i));
      },
    });
    await one.rt.start();
    await one.rt.loadOlder(K);
    assert.deepEqual(ids(one.store), ['1', '2', '3']);
    await one.rt.stop();
    await one.app.close();

    // Restarted with the server's page grown by 4 (missed): the catch-up page is archived as well.
    const two = runtime(dir, {
      setup: (s) => {
        s.server = [1, 2, 3, 4].map((i) => serverMsg(i));
      },
    });
    await two.rt.start();
    await until(() => ids(two.store).includes('4'), 'the catch-up page');
    await two.rt.stop();
    await two.app.close();

    const three = runtime(dir, {
      setup: (s) => {
        s.online = false;
      },
    });
    assert.deepEqual(three.store.getState().rooms[K]!.messages.map((m) => [m.id, m.archived]), [
      ['1', true],
      ['2', true],
      ['3', true],
      ['4', true],
    ]);
    await three.rt.stop();
    await three.app.close();
  });

  it('PgUp reads the archive first and the server only beyond it; a room without server history still scrolls back', async () => {
    for (const history of [true, false]) {
      // A fresh archive each time (the server's pages are archived too, so the first pass would fill it).
      const dir = tempDir();
      const a = Archive.open(join(dir, 'archive.db'));
      for (let i = 101; i <= 350; i++) a.record({ ...serverMsg(i), profile: 'work' });
      a.close();
      const r = runtime(dir, {
        caps: { history },
        setup: (s) => {
          s.server = Array.from({ length: 350 }, (_, k) => serverMsg(k + 1));
        },
      });
      await r.rt.start();
      await until(() => ids(r.store).length >= 100, 'the first fill');
      const calls = () => r.sessions[0]!.historyCalls.filter((c) => c.before !== undefined).length;
      assert.equal(ids(r.store)[0], '251');
      await r.rt.loadOlder(K);
      assert.equal(ids(r.store)[0], '151');
      await r.rt.loadOlder(K);
      assert.equal(ids(r.store)[0], '101');
      assert.equal(calls(), 0, 'no server page while the archive had them');
      if (history) {
        await r.rt.loadOlder(K);
        assert.equal(ids(r.store)[0], '1');
        assert.deepEqual(r.sessions[0]!.historyCalls.at(-1), { before: '101', limit: 100 });
      } else {
        await assert.rejects(r.rt.loadOlder(K), /no message history/);
      }
      assert.equal(new Set(ids(r.store)).size, ids(r.store).length, 'no id twice');
      await r.rt.stop();
      await r.app.close();
    }
  });

  it('a send the outbox cannot write shows failed, not pending', async () => {
    const dir = tempDir();
    const r = runtime(dir, { setup: (s) => (s.online = false) });
    const db = (r.app.outbox as unknown as { archive: { db: import('node:sqlite').DatabaseSync } }).archive.db;
    db.exec('CREATE TABLE filler (x)');
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages + 1}`);
    assert.throws(() => {
      for (;;) db.prepare('INSERT INTO filler VALUES (randomblob(3000))').run();
    });
    const txn = r.rt.send(K, 'x'.repeat(20_000));
    const echo = r.store.getState().rooms[K]!.messages.find((m) => m.txnId === txn)!;
    assert.equal(echo.status, 'failed');
    assert.match(echo.error ?? '', /not saved/);
    assert.match(r.store.getState().notices.map((n) => n.text).join('\n'), /disk is full/);
    await r.rt.stop();
    await r.app.close();
  });

  it('a send queued by a process that quit is sent by one still running (adopted), once', async () => {
    const dir = tempDir();
    const running = runtime(dir);
    await running.rt.start();
    const quitter = runtime(dir, { setup: (s) => (s.online = false) });
    quitter.rt.send(K, 'left behind');
    await quitter.rt.stop();
    await quitter.app.close();
    // The running one picks it up on its next lease round (a third of 30 s): make it look now.
    (running.app.outbox as unknown as { tick(): void }).tick();
    await until(() => running.sessions[0]!.sent.length === 1, 'the adopted send');
    assert.deepEqual(running.sessions[0]!.sent, ['left behind']);
    (running.app.outbox as unknown as { tick(): void }).tick();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(running.sessions[0]!.sent.length, 1);
    await running.rt.stop();
    await running.app.close();
  });

  it('rooms after the first are filled a moment later (the first frame is not held up), and caught up then', async () => {
    const dir = tempDir();
    const a = Archive.open(join(dir, 'archive.db'));
    for (const room of ['general', 'second']) for (let i = 1; i <= 3; i++) a.record({ ...serverMsg(i), room, profile: 'work' });
    a.close();
    const r = runtime(dir, { rooms: ['general', 'second'] });
    const second = () => r.store.getState().rooms[roomKey('work', 'second')]!.messages.length;
    assert.equal(ids(r.store).length, 3, 'the first room at once');
    assert.equal(second(), 0, 'the others not yet');
    await r.rt.start();
    await until(() => second() === 3, 'the second room filled');
    await until(() => r.sessions[0]!.historyCalls.length === 2, 'both rooms caught up');
    await r.rt.stop();
    await r.app.close();
  });

  it('a damaged archive: one notice line, the file is left as it was, chat and sends go on (the file outbox)', async () => {
    const dir = tempDir();
    const garbage = 'not a database '.repeat(500);
    writeFileSync(join(dir, 'archive.db'), garbage);
    const r = runtime(dir, { extra: { stateDir: dir } });
    assert.equal(r.app.outbox, undefined);
    const notices = r.store.getState().notices.map((n) => n.text);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^archive .*archive\.db is damaged/);
    await r.rt.start();
    r.rt.send(K, 'still works');
    await until(() => r.sessions[0]!.sent.includes('still works'), 'the send');
    await r.rt.stop();
    await r.app.close();
    assert.equal(readFileSync(join(dir, 'archive.db'), 'utf8'), garbage);
  });

  it('archiveHistory leaves deleted messages out of the rooms it fills', () => {
    const dir = tempDir();
    const a = Archive.open(join(dir, 'archive.db'));
    a.record({ ...serverMsg(1), profile: 'work' });
    a.record({ ...serverMsg(2), profile: 'work' });
    a.record({ type: 'message.delete', profile: 'work', room: 'general', id: '1' });
    assert.deepEqual(archiveHistory(a, () => undefined).recent('work', 'general', 10).map((m) => m.id), ['2']);
    a.close();
  });
});

describe('archive: the app starts the search index catch-up without waiting for a message', () => {
  it('a rebuild left by an upgrade (schema v5) is done by the writer thread a little after start, with no batch written', async () => {
    const dir = tempDir();
    const file = join(dir, 'archive.db');
    const db = new (sqlite().DatabaseSync)(file);
    migrate(db, 4);
    db.exec(`INSERT INTO chats (profile, room) VALUES ('work', 'general')`);
    const ins = db.prepare('INSERT INTO messages (chat, id, author_id, author_name, text, ts) VALUES (1, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 3000; i++) ins.run(String(i), 'u1', 'Ann', i === 7 ? 'the old zebra' : `m${i}`, T0 + i * 1000);
    db.close();
    const app = openAppArchive({ dir, settings: ARCHIVE_DEFAULTS, profiles: ['work'], notice: () => undefined, adopt: () => undefined, env: { CHAT_TUI_CONFIG_DIR: dir } });
    try {
      assert.equal(app.history!.searchRebuildLeft(), 3000);
      assert.deepEqual(app.history!.search('zebra', {}), [], 'not yet: the TUI does not wait');
      const end = Date.now() + 20_000;
      while (app.history!.searchRebuildLeft() > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.equal(app.history!.searchRebuildLeft(), 0, 'the writer thread rebuilt it');
      assert.deepEqual(app.history!.search('zebra', {}).map((m) => m.id), ['7']);
    } finally {
      await app.close();
    }
  });
});
