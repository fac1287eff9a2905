import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Capabilities, ConnectorContext, ConnectorDefinition, ConnectorSession, RoomInfo } from '../../src/core/connector.js';
import { ChatError } from '../../src/core/errors.js';
import type { MessageEvent } from '../../src/core/events.js';

/**
 * The headless commands run in-process against a fake connector added to the registry: what they print
 * (--json and plain), exit codes, de-duplication in tail, read-only refusal without connecting, and the
 * token never printed. (Real connectors are covered by their own tests and the conformance suite.)
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-headless-'));
process.env.CHAT_TUI_CONFIG_DIR = path.join(dir, 'cfg');
const TOKEN = 'fake-TOKEN-5e1f0c77';

const { connectors } = await import('../../src/connectors/index.js');
const { run } = await import('../../src/cli/program.js');
const { sink } = await import('../../src/cli/io.js');

const caps = (over: Partial<Capabilities> = {}): Capabilities => ({
  history: true, typingSend: false, typingReceive: true, presence: true, edits: true,
  roomListing: true, dms: true, join: false, readOnly: false, moderation: false, atMentions: false, ...over,
});

interface FakeState {
  connects: number;
  sent: { room: string; text: string; txnId: string }[];
  ctx?: ConnectorContext;
  failConnect?: ChatError;
  disconnects: number;
}
const state: FakeState = { connects: 0, sent: [], disconnects: 0 };

const m = (room: string, id: string, text: string, sec: number): Omit<MessageEvent, 'profile'> => ({
  type: 'message', room, id, author: { id: 'u2', name: 'Jane' }, text, time: new Date(Date.UTC(2021, 0, 8, 5, 3, sec)).toISOString(),
});

const fake: ConnectorDefinition = {
  id: 'fakesvc',
  displayName: 'Fake',
  capabilities: caps(),
  profileFields: [],
  validate() {},
  create(ctx): ConnectorSession {
    state.ctx = ctx;
    const rooms: RoomInfo[] = (ctx.profile.rooms ?? []).map((id) => ({ id, name: id === 'r1' ? 'general' : id }));
    return {
      capabilities: caps(ctx.profile.clientId && !ctx.token ? { readOnly: true, readOnlyReason: 'a client id can only read' } : {}),
      async connect() {
        state.connects++;
        ctx.emit({ type: 'connection', state: 'connecting' });
        if (state.failConnect) {
          ctx.emit({ type: 'error', code: state.failConnect.code, message: state.failConnect.message });
          ctx.emit({ type: 'connection', state: 'failed', reason: state.failConnect.message });
          throw state.failConnect;
        }
        ctx.emit({ type: 'connection', state: 'connected' });
      },
      async disconnect() {
        state.disconnects++;
      },
      reconnectNow() {},
      async send(room, text, txnId) {
        state.sent.push({ room, text, txnId });
        return { ...m(room, 'srv-1', text, 9), author: { id: 'me', name: 'Me' }, txnId, profile: ctx.profile.name };
      },
      rooms: () => rooms,
      async history(room, { limit }) {
        const all = Array.from({ length: 30 }, (_, i) => ({ ...m(room, `h${i + 1}`, `m${i + 1}`, i), profile: ctx.profile.name }));
        return all.slice(-limit);
      },
      async listRooms() {
        return [{ id: 'r1', name: 'general', topic: 'talk' }, { id: 'r2', name: '' }];
      },
      async createDm(user) {
        return `DM with ${user} requested`;
      },
    };
  },
};
(connectors as ConnectorDefinition[]).push(fake);

let stdout = '';
let stderr = '';
async function cli(...args: string[]): Promise<number> {
  stdout = '';
  stderr = '';
  return run(args);
}
const jsonLines = (): Record<string, unknown>[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const allOut: string[] = [];

before(async () => {
  sink.stdout = (s) => {
    stdout += s;
    allOut.push(s);
  };
  sink.stderr = (s) => {
    stderr += s;
    allOut.push(s);
  };
  assert.equal(await cli('profile', 'add', 'f', '--service', 'fakesvc', '--url', 'http://127.0.0.1:9', '--token', TOKEN, '--room', 'r1'), 0, stderr);
  assert.equal(await cli('profile', 'add', 'ro', '--service', 'fakesvc', '--url', 'http://127.0.0.1:9', '--client-id', 'cid', '--room', 'r1'), 0, stderr);
});
beforeEach(() => {
  state.connects = 0;
  state.sent = [];
  state.disconnects = 0;
  delete state.failConnect;
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const s of allOut) assert.ok(!s.includes(TOKEN), `token printed: ${s}`);
});

describe('headless commands (fake connector)', () => {
  it('send --json waits for the server copy and prints one message line without internal fields', async () => {
    assert.equal(await cli('send', '--profile', 'f', '--room', 'r1', '--json', 'hello', 'there'), 0, stderr);
    assert.equal(state.sent.length, 1);
    assert.equal(state.sent[0]?.text, 'hello there');
    assert.ok(state.sent[0]?.txnId);
    const [line, ...rest] = jsonLines();
    assert.equal(rest.length, 0);
    assert.deepEqual(line, { type: 'message', profile: 'f', room: 'r1', id: 'srv-1', author: { id: 'me', name: 'Me' }, text: 'hello there', time: '2021-01-08T05:03:09.000Z' });
    assert.equal(state.ctx?.token, TOKEN);
    assert.equal(state.disconnects, 1);
  });

  it('send without --room uses the only room; plain output is one line with the room name', async () => {
    assert.equal(await cli('send', '--profile', 'f', 'plain text'), 0, stderr);
    assert.match(stdout.trim(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[general\] Me: plain text$/);
  });

  it('send to a read-only profile exits 1 with read_only without connecting', async () => {
    assert.equal(await cli('send', '--profile', 'ro', '--room', 'r1', '--json', 'may I?'), 1);
    assert.equal(state.connects, 0);
    assert.equal(state.sent.length, 0);
    assert.match(stderr, /^error \(read_only\): .*read-only.*client id/);
    assert.deepEqual(jsonLines().map((e) => [e.type, e.code]), [['error', 'read_only']]);
  });

  it('a refused connection is exit 1 and one stderr line', async () => {
    state.failConnect = new ChatError('auth', 'unauthorized: invalid API key');
    assert.equal(await cli('history', '--profile', 'f', '--room', 'r1'), 1);
    assert.equal(stderr.trim(), 'error (auth): unauthorized: invalid API key');
    assert.equal(stdout, '');
  });

  it('history prints the last N oldest first', async () => {
    assert.equal(await cli('history', '--profile', 'f', '--room', 'r1', '--limit', '10', '--json'), 0, stderr);
    assert.deepEqual(jsonLines().map((e) => e.text), Array.from({ length: 10 }, (_, i) => `m${21 + i}`));
    assert.equal(await cli('history', '--profile', 'f', '--room', 'general', '--limit', '2'), 0, stderr);
    const plain = stdout.trim().split('\n');
    assert.equal(plain.length, 2);
    assert.match(plain[1] ?? '', /\[general\] Jane: m30$/);
  });

  it('rooms lists the server rooms with names (id when unnamed)', async () => {
    assert.equal(await cli('rooms', '--profile', 'f', '--json'), 0, stderr);
    assert.deepEqual(jsonLines(), [
      { type: 'room', profile: 'f', room: 'r1', name: 'general', topic: 'talk' },
      { type: 'room', profile: 'f', room: 'r2', name: 'r2' },
    ]);
    assert.equal(await cli('rooms', '--profile', 'f'), 0, stderr);
    assert.match(stdout, /^r1\s+general\s+— talk$/m);
    assert.ok(!/null|undefined/.test(stdout));
  });

  it('dm prints the connector notice', async () => {
    assert.equal(await cli('dm', '--profile', 'f', 'bob'), 0, stderr);
    assert.equal(stdout.trim(), 'DM with bob requested');
  });

  it('tail --json prints every event once, messages de-duplicated by id, and exits 0 on SIGTERM', async () => {
    const running = cli('tail', '--profile', 'f', '--json');
    await waitUntil(() => state.connects === 1 && stdout.includes('"connected"'));
    const ctx = state.ctx!;
    ctx.emit(m('r1', 'a', 'first', 1));
    ctx.emit({ type: 'typing', room: 'r1', user: { id: 'u2', name: 'Jane' }, typing: true });
    ctx.emit({ type: 'room', room: 'r1', name: 'general' });
    ctx.emit({ type: 'connection', state: 'reconnecting', reason: 'closed 1006' });
    ctx.emit(m('r1', 'a', 'first', 1)); // backfill repeats it
    ctx.emit({ ...m('r1', 'b', 'second', 2), txnId: 'x', kind: 'normal', mentions: [] });
    ctx.emit({ type: 'gap', room: 'r1' });
    process.emit('SIGTERM');
    assert.equal(await running, 0);
    const evs = jsonLines();
    assert.deepEqual(evs.filter((e) => e.type === 'message').map((e) => e.text), ['first', 'second']);
    assert.deepEqual(evs.map((e) => e.type), ['connection', 'connection', 'message', 'typing', 'connection', 'message', 'gap']);
    assert.ok(evs.every((e) => e.profile === 'f'));
    assert.ok(!('txnId' in (evs[5] ?? {})));
    assert.equal(state.disconnects, 1);
  });

  it('tail exits 1 after a refused connection with exactly one error event', async () => {
    state.failConnect = new ChatError('auth', 'unauthorized');
    assert.equal(await cli('tail', '--profile', 'f', '--json'), 1);
    assert.equal(jsonLines().filter((e) => e.type === 'error').length, 1);
    assert.equal(stderr.trim(), 'error (auth): unauthorized');
  });

  it('plain tail shows messages on stdout and state lines on stderr', async () => {
    const running = cli('tail', '--profile', 'f');
    await waitUntil(() => state.connects === 1);
    state.ctx!.emit(m('r1', 'z', 'multi\nline \u001b[2Jtext', 3));
    process.emit('SIGINT');
    assert.equal(await running, 0);
    assert.match(stdout, /\[general\] Jane: multi ↵ line text\n$/);
    assert.match(stderr, /-- f: connected/);
  });
});

async function waitUntil(probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out; stdout=${stdout} stderr=${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
