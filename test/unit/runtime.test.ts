import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Capabilities, ConnectorContext, ConnectorDefinition, ConnectorSession, HistoryOptions, ModerationAction, RoomInfo } from '../../src/core/connector.js';
import { getConnector } from '../../src/connectors/index.js';
import { ChatError } from '../../src/core/errors.js';
import type { ChatEvent, MessageEvent } from '../../src/core/events.js';
import type { NamedProfile } from '../../src/core/profile.js';
import { ChatRuntime, DEFAULT_READ_ONLY_REASON, JsonOutbox, sendRefusal, UNCONFIRMED_REASON } from '../../src/core/runtime/index.js';
import type { OutboxEntry, OutboxStore } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { SessionStore } from '../../src/core/store/index.js';

// A small in-test connector: the connector interface is the seam the runtime is written against.

const BASE_CAPS: Capabilities = {
  history: true,
  typingSend: true,
  typingReceive: true,
  presence: true,
  edits: true,
  roomListing: false,
  dms: true,
  join: true,
  readOnly: false,
  moderation: false,
  atMentions: true,
};

const TOKEN = 'tok-SECRET-4f9a1c';

type SendImpl = (room: string, text: string, txnId: string, n: number) => Promise<MessageEvent> | MessageEvent;

class FakeSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly sent: { room: string; text: string; txnId: string; at: number }[] = [];
  sendImpl: SendImpl | undefined;
  connectError: Error | undefined;
  connectedAtStart = true;
  historyCalls: { room: string; opts: HistoryOptions }[] = [];
  historyImpl: (room: string, opts: HistoryOptions) => Promise<MessageEvent[]> = async () => [];
  typing: [string, boolean][] = [];
  moderated: [string, ModerationAction][] = [];
  reconnects = 0;
  disconnected = false;
  private seq = 100;
  private extraRooms: RoomInfo[] = [];

  constructor(
    readonly ctx: ConnectorContext,
    caps: Capabilities,
  ) {
    this.capabilities = caps;
  }

  emit(ev: Parameters<ConnectorContext['emit']>[0]): void {
    this.ctx.emit(ev);
  }

  async connect(): Promise<void> {
    this.emit({ type: 'connection', state: 'connecting' });
    await new Promise((r) => setImmediate(r));
    if (this.connectError) throw this.connectError;
    if (this.connectedAtStart) {
      this.emit({ type: 'connection', state: 'connected' });
      return;
    }
    // Retrying in the background: connect() resolves at the first `connected` (see ConnectorSession).
    this.emit({ type: 'connection', state: 'reconnecting', reason: 'socket closed (1006)', retryAt: new Date(Date.now() + 1000).toISOString() });
    await new Promise<void>((resolve) => (this.onUp = resolve));
  }
  private onUp: (() => void) | undefined;
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
  reconnectNow(): void {
    this.reconnects++;
  }
  up(): void {
    this.emit({ type: 'connection', state: 'connected' });
    this.onUp?.();
    this.onUp = undefined;
  }
  down(): void {
    this.emit({ type: 'connection', state: 'reconnecting', reason: 'socket closed (1006)' });
  }
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    this.sent.push({ room, text, txnId, at: Date.now() });
    if (this.sendImpl) return this.sendImpl(room, text, txnId, this.sent.length);
    return this.serverCopy(room, text, txnId);
  }
  serverCopy(room: string, text: string, txnId?: string): MessageEvent {
    const m = { type: 'message', profile: '', room, id: String(++this.seq), author: { id: 'me1', name: 'Alice' }, text, time: new Date().toISOString() } as MessageEvent;
    if (txnId !== undefined) m.txnId = txnId;
    return m;
  }
  rooms(): RoomInfo[] {
    return [...(this.ctx.profile.rooms ?? []).map((id) => ({ id, name: `#${id}`, topic: 'resolved' })), ...this.extraRooms];
  }
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    this.historyCalls.push({ room, opts });
    return this.historyImpl(room, opts);
  }
  setTyping(room: string, typing: boolean): void {
    this.typing.push([room, typing]);
  }
  async joinRoom(ref: string): Promise<RoomInfo> {
    if (ref === 'missing') throw new ChatError('not_found', 'no such room');
    const info = { id: `id-${ref}`, name: ref };
    this.extraRooms.push(info);
    return info;
  }
  async partRoom(): Promise<void> {}
  async createDm(user: string): Promise<string> {
    return `DM with ${user} requested`;
  }
  async moderate(room: string, action: ModerationAction): Promise<void> {
    this.moderated.push([room, action]);
  }
  me() {
    return { id: 'me1', name: 'Alice' };
  }
}

interface Harness {
  rt: ChatRuntime;
  sessions: Map<string, FakeSession>;
  /** Runs before each created session is used: configure it. */
  setup: (name: string, s: FakeSession) => void;
  events: ChatEvent[];
}

function makeDef(caps: Capabilities, h: { sessions: Map<string, FakeSession>; setup: (name: string, s: FakeSession) => void }): ConnectorDefinition {
  return {
    id: 'fake',
    displayName: 'Fake',
    capabilities: caps,
    profileFields: [],
    validate() {},
    create(ctx) {
      const s = new FakeSession(ctx, caps);
      h.sessions.set(ctx.profile.name, s);
      h.setup(ctx.profile.name, s);
      return s;
    },
  };
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chat-tui-rt-'));
  dirs.push(d);
  return d;
}

function harness(
  opts: {
    profiles?: NamedProfile[];
    caps?: Partial<Capabilities>;
    setup?: (name: string, s: FakeSession) => void;
    stateDir?: string;
    maxSendAttempts?: number;
    resolveToken?: (p: NamedProfile) => Promise<string | undefined>;
    outbox?: OutboxStore;
  } = {},
): Harness {
  const sessions = new Map<string, FakeSession>();
  const h = { sessions, setup: opts.setup ?? (() => undefined) };
  const def = makeDef({ ...BASE_CAPS, ...opts.caps }, h);
  const rtOpts: ConstructorParameters<typeof ChatRuntime>[0] = {
    profiles: opts.profiles ?? [{ name: 'work', service: 'fake', rooms: ['general', 'random'], userId: 'me1', userName: 'Alice' }],
    resolveToken: opts.resolveToken ?? (async () => TOKEN),
    saveProfile: async () => undefined,
    store: new SessionStore({ notifyIntervalMs: 0 }),
    getConnector: (id) => (id === 'fake' ? def : undefined),
    backoff: { baseMs: 5, capMs: 20, random: () => 1 },
    maxSendAttempts: opts.maxSendAttempts ?? 3,
  };
  if (opts.stateDir !== undefined) rtOpts.stateDir = opts.stateDir;
  if (opts.outbox !== undefined) rtOpts.outbox = opts.outbox;
  const rt = new ChatRuntime(rtOpts);
  const events: ChatEvent[] = [];
  rt.onEvent((ev) => events.push(ev));
  return { rt, sessions, setup: h.setup, events };
}

const K = roomKey('work', 'general');

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function room(rt: ChatRuntime, key = K) {
  return rt.store.getState().rooms[key]!;
}

describe('ChatRuntime start', () => {
  it('connects every profile, fills rooms from the session, knows our user', async () => {
    const h = harness({
      profiles: [
        { name: 'work', service: 'fake', rooms: ['general', 'random'] },
        { name: 'home', service: 'fake', rooms: ['kitchen'] },
      ],
    });
    await h.rt.start();
    const st = h.rt.store.getState();
    assert.equal(st.profiles.work!.state, 'connected');
    assert.equal(st.profiles.home!.state, 'connected');
    assert.deepEqual(st.profiles.work!.me, { id: 'me1', name: 'Alice' });
    assert.deepEqual(st.roomOrder, [roomKey('work', 'general'), roomKey('work', 'random'), roomKey('home', 'kitchen')]);
    assert.equal(st.rooms[K]!.name, '#general');
    assert.equal(st.rooms[K]!.topic, 'resolved');
    assert.ok(h.events.some((e) => e.type === 'connection' && e.profile === 'home' && e.state === 'connected'));
    await h.rt.stop();
    assert.equal(h.sessions.get('work')!.disconnected, true);
  });

  it('marks a profile whose connect rejects as failed with a notice, without the token, and keeps others', async () => {
    const h = harness({
      profiles: [
        { name: 'bad', service: 'fake', rooms: ['r'] },
        { name: 'good', service: 'fake', rooms: ['r'] },
        { name: 'alien', service: 'nope', rooms: ['r'] },
      ],
      setup: (name, s) => {
        if (name === 'bad') s.connectError = new ChatError('auth', `invalid api key ${TOKEN} (sent: Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')})`);
      },
    });
    await h.rt.start(); // never throws
    const st = h.rt.store.getState();
    assert.equal(st.profiles.bad!.state, 'failed');
    assert.equal(st.profiles.good!.state, 'connected');
    assert.equal(st.profiles.alien!.state, 'failed');
    const texts = st.notices.map((n) => `${n.profile}: ${n.text}`);
    assert.ok(texts.some((t) => t.startsWith('bad: invalid api key')), texts.join('\n'));
    assert.ok(texts.some((t) => t.startsWith('alien: unknown service')), texts.join('\n'));
    const all = JSON.stringify(st) + JSON.stringify(h.events);
    assert.ok(!all.includes(TOKEN), 'token never shown');
    assert.ok(!all.includes(Buffer.from(TOKEN).toString('base64').slice(2, 14)), 'nor its base64 form');
    assert.ok(h.events.some((e) => e.type === 'error' && e.profile === 'bad' && e.code === 'auth'));
    await h.rt.stop();
  });

  it('a token that cannot be resolved fails the profile with the error line', async () => {
    const h = harness({
      resolveToken: async () => {
        throw new Error('environment variable CHAT_KEY is not set');
      },
    });
    await h.rt.start();
    const st = h.rt.store.getState();
    assert.equal(st.profiles.work!.state, 'failed');
    assert.match(st.notices.at(-1)!.text, /CHAT_KEY is not set/);
    await h.rt.stop();
  });

  it('passes events through the store to listeners with profile and isNew', async () => {
    const h = harness();
    const seen: [string, boolean][] = [];
    h.rt.onEvent((ev, info) => {
      if (ev.type === 'message') seen.push([`${ev.profile}/${ev.id}`, info.isNew]);
    });
    await h.rt.start();
    const s = h.sessions.get('work')!;
    const m = { type: 'message' as const, room: 'general', id: '1', author: { id: 'u2', name: 'Jane' }, text: 'hi', time: new Date().toISOString() };
    s.emit(m);
    s.emit(m);
    assert.deepEqual(seen, [
      ['work/1', true],
      ['work/1', false],
    ]);
    assert.equal(room(h.rt).messages.length, 1);
    await h.rt.stop();
    s.emit({ ...m, id: '2' });
    assert.equal(seen.length, 2, 'no events after stop');
  });
});

describe('ChatRuntime send and outbox', () => {
  it('shows a pending echo at once and reconciles it with the server copy', async () => {
    const h = harness();
    await h.rt.start();
    const txn = h.rt.send(K, 'hello');
    assert.match(txn, /^[0-9a-f-]{36}$/);
    const echo = room(h.rt).messages.find((m) => m.txnId === txn)!;
    assert.equal(echo.status, 'pending');
    assert.equal(echo.author.name, 'Alice');
    await until(() => room(h.rt).messages[0]?.status === 'sent', 'confirmation');
    assert.equal(room(h.rt).messages.length, 1);
    assert.equal(room(h.rt).messages[0]!.id, '101');
    assert.deepEqual(h.rt.outboxEntries(), []);
    await h.rt.stop();
  });

  it('queues sends while offline and sends them in order after connected', async () => {
    const h = harness({ setup: (_n, s) => (s.connectedAtStart = false) });
    const starting = h.rt.start();
    await until(() => h.rt.store.getState().profiles.work?.state === 'reconnecting', 'reconnecting');
    const s = h.sessions.get('work')!;
    h.rt.send(K, 'one');
    h.rt.send(roomKey('work', 'random'), 'two');
    h.rt.send(K, 'three');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(s.sent.length, 0, 'nothing goes out offline');
    assert.deepEqual(room(h.rt).messages.map((m) => m.status), ['pending', 'pending']);
    assert.deepEqual(h.rt.outboxEntries().map((e) => e.status), ['queued', 'queued', 'queued']);
    s.up();
    await until(() => s.sent.length === 3 && h.rt.outboxEntries().length === 0, 'all sent');
    assert.deepEqual(s.sent.map((x) => x.text), ['one', 'two', 'three']);
    assert.deepEqual(room(h.rt).messages.map((m) => [m.text, m.status]), [
      ['one', 'sent'],
      ['three', 'sent'],
    ]);
    await h.rt.stop();
    void starting;
  });

  it('a refused send becomes failed with the reason, later sends still go, retry resends it', async () => {
    const h = harness();
    let refuse = true;
    h.setup = () => undefined;
    await h.rt.start();
    const s = h.sessions.get('work')!;
    s.sendImpl = (room, text, txnId) => {
      if (text === 'bad' && refuse) throw new ChatError('forbidden', 'you are muted in this room');
      return s.serverCopy(room, text, txnId);
    };
    const bad = h.rt.send(K, 'bad');
    h.rt.send(K, 'good');
    await until(() => h.rt.outboxEntries().every((e) => e.status === 'failed'), 'settled');
    const failed = room(h.rt).messages.find((m) => m.txnId === bad)!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'you are muted in this room');
    assert.ok(room(h.rt).messages.some((m) => m.text === 'good' && m.status === 'sent'));
    assert.equal(s.sent.filter((x) => x.text === 'bad').length, 1, 'a refusal is not retried by itself');
    refuse = false;
    assert.equal(h.rt.retry(K), true);
    assert.equal(room(h.rt).messages.find((m) => m.txnId === bad)!.status, 'pending');
    await until(() => h.rt.outboxEntries().length === 0, 'retried');
    const sentBad = room(h.rt).messages.filter((m) => m.text === 'bad');
    assert.equal(sentBad.length, 1);
    assert.equal(sentBad[0]!.status, 'sent');
    assert.equal(h.rt.retry(K), false, 'nothing left to retry');
    await h.rt.stop();
  });

  it('rate limits slow the outbox down and keep the order', async () => {
    const h = harness();
    await h.rt.start();
    const s = h.sessions.get('work')!;
    s.sendImpl = (room, text, txnId, n) => {
      if (n === 1 || n === 2) throw new ChatError('rate_limited', 'slow down', { retryAfterMs: 60 });
      return s.serverCopy(room, text, txnId);
    };
    h.rt.send(K, 'a');
    h.rt.send(K, 'b');
    h.rt.send(K, 'c');
    await until(() => h.rt.outboxEntries().length === 0, 'drained');
    assert.deepEqual(s.sent.map((x) => x.text), ['a', 'a', 'a', 'b', 'c']);
    assert.ok(s.sent[1]!.at - s.sent[0]!.at >= 50, 'waited retryAfter');
    assert.ok(s.sent[2]!.at - s.sent[1]!.at >= 50, 'waited retryAfter again');
    assert.deepEqual(room(h.rt).messages.map((m) => [m.text, m.status]), [
      ['a', 'sent'],
      ['b', 'sent'],
      ['c', 'sent'],
    ]);
    await h.rt.stop();
  });

  it('a network error keeps the send queued and resends after reconnect', async () => {
    const h = harness();
    await h.rt.start();
    const s = h.sessions.get('work')!;
    s.sendImpl = (room, text, txnId, n) => {
      if (n === 1) {
        s.down();
        throw new ChatError('network', 'socket closed');
      }
      return s.serverCopy(room, text, txnId);
    };
    h.rt.send(K, 'x');
    await until(() => s.sent.length === 1, 'first attempt');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.sent.length, 1, 'no resend while reconnecting');
    assert.equal(h.rt.outboxEntries()[0]!.status, 'queued');
    assert.equal(room(h.rt).messages[0]!.status, 'pending');
    s.up();
    await until(() => h.rt.outboxEntries().length === 0, 'resent');
    assert.equal(s.sent.length, 2);
    assert.equal(room(h.rt).messages[0]!.status, 'sent');
    await h.rt.stop();
  });

  it('a send that is never confirmed becomes failed after the bounded attempts', async () => {
    const h = harness({ maxSendAttempts: 3 });
    await h.rt.start();
    const s = h.sessions.get('work')!;
    s.sendImpl = () => {
      throw new ChatError('network', 'request timed out');
    };
    const txn = h.rt.send(K, 'lost?');
    await until(() => h.rt.outboxEntries()[0]?.status === 'failed', 'failed');
    assert.equal(s.sent.length, 3);
    const m = room(h.rt).messages.find((x) => x.txnId === txn)!;
    assert.equal(m.status, 'failed');
    assert.match(m.error!, /not confirmed after 3 attempts: request timed out/);
    await h.rt.stop();
  });

  it('refuses at once in a read-only profile (kept failed, never sent)', async () => {
    const h = harness({ caps: { readOnly: true, readOnlyReason: 'read-only: no token, only a client id' } });
    await h.rt.start();
    const txn = h.rt.send(K, 'hi');
    const m = room(h.rt).messages.find((x) => x.txnId === txn)!;
    assert.equal(m.status, 'failed');
    assert.equal(m.error, 'read-only: no token, only a client id');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.sessions.get('work')!.sent.length, 0);
    assert.equal(h.rt.retry(K, txn), true);
    assert.equal(room(h.rt).messages.find((x) => x.txnId === txn)!.status, 'failed');
    assert.equal(h.sessions.get('work')!.sent.length, 0);
    await h.rt.stop();
  });

  it('refuses a text over the service maximum and throws for an unknown profile', async () => {
    const h = harness({ caps: { maxMessageLength: 5 } });
    await h.rt.start();
    const txn = h.rt.send(K, '👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽');
    assert.match(room(h.rt).messages.find((x) => x.txnId === txn)!.error!, /message too long: 6 characters, the limit is 5/);
    h.rt.send(K, '👍🏽👍🏽👍🏽👍🏽👍🏽'); // 5 graphemes: fine
    await until(() => room(h.rt).messages.some((m) => m.status === 'sent'), 'sent');
    assert.throws(() => h.rt.send(roomKey('nobody', 'r'), 'x'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    assert.equal(h.rt.discard(K, txn), true);
    assert.ok(!room(h.rt).messages.some((x) => x.txnId === txn));
    await h.rt.stop();
  });
});

describe('ChatRuntime before start', () => {
  it('shows profiles and rooms at once, knows capabilities, and queues a send made before start()', async () => {
    const h = harness({ caps: { maxMessageLength: 500 } });
    const st = h.rt.store.getState();
    assert.deepEqual(st.roomOrder, [roomKey('work', 'general'), roomKey('work', 'random')]);
    assert.equal(h.rt.capabilities('work').maxMessageLength, 500);
    assert.equal(h.rt.capabilities('work').readOnly, false);
    const txn = h.rt.send(K, 'early bird');
    assert.equal(room(h.rt).messages[0]!.status, 'pending');
    await h.rt.start();
    await until(() => h.rt.outboxEntries().length === 0, 'sent after connect');
    assert.deepEqual(h.sessions.get('work')!.sent.map((x) => [x.text, x.txnId]), [['early bird', txn]]);
    await h.rt.stop();
  });
});

describe('ChatRuntime outbox persistence', () => {
  it('writes queued and failed sends (0600 in 0700) and offers them again on the next start', async () => {
    const dir = join(tempDir(), 'state');
    const h1 = harness({ stateDir: dir, setup: (_n, s) => (s.connectedAtStart = false) });
    void h1.rt.start();
    await until(() => h1.rt.store.getState().profiles.work?.state === 'reconnecting', 'offline');
    const q1 = h1.rt.send(K, 'queued one');
    const q2 = h1.rt.send(K, 'queued two');
    const file = join(dir, 'outbox.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { entries: { txnId: string; status: string }[] };
    assert.deepEqual(saved.entries.map((e) => [e.txnId, e.status]), [
      [q1, 'queued'],
      [q2, 'queued'],
    ]);
    await h1.rt.stop();

    // second run: read-only at first, so one of them ends failed; then a third run sends the rest
    const h2 = harness({ stateDir: dir, setup: (_n, s) => (s.connectedAtStart = false) });
    void h2.rt.start();
    await until(() => h2.rt.store.getState().profiles.work?.state === 'reconnecting', 'offline 2');
    const restored = room(h2.rt).messages;
    assert.deepEqual(restored.map((m) => [m.text, m.status, m.txnId]), [
      ['queued one', 'pending', q1],
      ['queued two', 'pending', q2],
    ]);
    const s2 = h2.sessions.get('work')!;
    s2.sendImpl = (room, text, txnId) => {
      if (text === 'queued two') throw new ChatError('forbidden', 'room is closed');
      return s2.serverCopy(room, text, txnId);
    };
    s2.up();
    await until(() => h2.rt.outboxEntries().length === 1 && h2.rt.outboxEntries()[0]!.status === 'failed', 'one failed');
    assert.deepEqual(s2.sent.map((x) => [x.text, x.txnId]), [
      ['queued one', q1],
      ['queued two', q2],
    ]);
    await h2.rt.stop();

    const h3 = harness({ stateDir: dir });
    await h3.rt.start();
    const m = room(h3.rt).messages;
    assert.deepEqual(m.map((x) => [x.text, x.status, x.error]), [['queued two', 'failed', 'room is closed']]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h3.sessions.get('work')!.sent.length, 0, 'failed ones wait for the user');
    assert.equal(h3.rt.retry(K, q2), true);
    await until(() => h3.rt.outboxEntries().length === 0, 'retried after restart');
    assert.equal(room(h3.rt).messages[0]!.status, 'sent');
    await h3.rt.stop();
    const final = JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] };
    assert.deepEqual(final.entries, []);
  });

  it('a send in flight at exit comes back failed (never silently resent twice)', async () => {
    const dir = tempDir();
    const h1 = harness({ stateDir: dir });
    await h1.rt.start();
    h1.sessions.get('work')!.sendImpl = () => new Promise<MessageEvent>(() => undefined); // never answers
    const txn = h1.rt.send(K, 'in flight');
    await until(() => h1.rt.outboxEntries()[0]?.status === 'sending', 'sending');
    await h1.rt.stop();
    const h2 = harness({ stateDir: dir });
    await h2.rt.start();
    const m = room(h2.rt).messages.find((x) => x.txnId === txn)!;
    assert.equal(m.status, 'failed');
    assert.equal(m.error, UNCONFIRMED_REASON);
    assert.equal(h2.sessions.get('work')!.sent.length, 0);
    await h2.rt.stop();
  });

  it('keeps entries of profiles that are not loaded this time', async () => {
    const dir = tempDir();
    const h1 = harness({ stateDir: dir, profiles: [{ name: 'other', service: 'fake', rooms: ['r'] }], caps: { readOnly: true } });
    await h1.rt.start();
    h1.rt.send(roomKey('other', 'r'), 'keep me');
    await h1.rt.stop();
    const h2 = harness({ stateDir: dir });
    await h2.rt.start();
    h2.rt.send(K, 'new');
    await until(() => h2.rt.outboxEntries().length === 1, 'own sent');
    await h2.rt.stop();
    const saved = JSON.parse(readFileSync(join(dir, 'outbox.json'), 'utf8')) as { entries: { text: string }[] };
    assert.deepEqual(saved.entries.map((e) => e.text), ['keep me']);
  });
});

describe('ChatRuntime delegation', () => {
  it('loadOlder asks for history before the oldest message and records hasMore', async () => {
    const h = harness();
    await h.rt.start();
    const s = h.sessions.get('work')!;
    const t = Date.parse('2024-01-01T00:00:00Z');
    s.emit({ type: 'message', room: 'general', id: '500', author: { id: 'u', name: 'U' }, text: 'x', time: new Date(t).toISOString() });
    let loadingSeen = false;
    s.historyImpl = async (room, opts) => {
      loadingSeen = h.rt.store.getState().rooms[K]!.loadingHistory;
      const start = Number(opts.before) - opts.limit;
      return Array.from({ length: opts.limit }, (_, i) => ({
        type: 'message' as const,
        profile: 'work',
        room,
        id: String(start + i),
        author: { id: 'u', name: 'U' },
        text: 'old',
        time: new Date(t - (opts.limit - i) * 1000).toISOString(),
      }));
    };
    await h.rt.loadOlder(K);
    assert.deepEqual(s.historyCalls[0], { room: 'general', opts: { before: '500', limit: 100 } });
    assert.equal(loadingSeen, true);
    let r = room(h.rt);
    assert.equal(r.loadingHistory, false);
    assert.equal(r.messages.length, 101);
    assert.equal(r.messages[0]!.id, '400');
    assert.equal(r.hasMoreHistory, true);
    assert.equal(r.unread, 1, 'history is not unread');
    s.historyImpl = async () => [];
    await h.rt.loadOlder(K);
    assert.deepEqual(s.historyCalls[1]!.opts, { before: '400', limit: 100 });
    r = room(h.rt);
    assert.equal(r.hasMoreHistory, false);
    s.historyImpl = async () => {
      throw new ChatError('network', 'history request failed');
    };
    await assert.rejects(h.rt.loadOlder(K), /history request failed/);
    assert.equal(room(h.rt).loadingHistory, false);
    assert.match(h.rt.store.getState().notices.at(-1)!.text, /history request failed/);
    await h.rt.stop();
  });

  it('refuses what the capabilities do not allow with a clear ChatError', async () => {
    const h = harness({ caps: { history: false, join: false, dms: false, moderation: false, typingSend: false } });
    await h.rt.start();
    await assert.rejects(h.rt.loadOlder(K), (e: unknown) => e instanceof ChatError && e.code === 'protocol' && /no message history/.test(e.message));
    await assert.rejects(h.rt.join('work', 'x'), (e: unknown) => e instanceof ChatError && /cannot join/.test(e.message));
    await assert.rejects(h.rt.part(K), (e: unknown) => e instanceof ChatError);
    await assert.rejects(h.rt.dm('work', 'bob'), (e: unknown) => e instanceof ChatError && /no direct messages/.test(e.message));
    await assert.rejects(h.rt.moderate(K, { kind: 'ban', user: 'x' }), (e: unknown) => e instanceof ChatError && e.code === 'forbidden');
    h.rt.setTyping(K, true); // no-op
    assert.deepEqual(h.sessions.get('work')!.typing, []);
    await h.rt.stop();
  });

  it('delegates typing, join, part, dm, moderate and reconnectNow when allowed', async () => {
    const h = harness({ caps: { moderation: true } });
    await h.rt.start();
    const s = h.sessions.get('work')!;
    h.rt.setTyping(K, true);
    h.rt.setTyping(K, false);
    assert.deepEqual(s.typing, [
      ['general', true],
      ['general', false],
    ]);
    const key = await h.rt.join('work', 'speedrun');
    assert.equal(key, roomKey('work', 'id-speedrun'));
    assert.ok(h.rt.store.getState().roomOrder.includes(key));
    await assert.rejects(h.rt.join('work', 'missing'), (e: unknown) => e instanceof ChatError && e.code === 'not_found');
    await h.rt.part(key);
    assert.ok(!h.rt.store.getState().roomOrder.includes(key));
    assert.equal(await h.rt.dm('work', 'bob'), 'DM with bob requested');
    await h.rt.moderate(K, { kind: 'delete', messageId: '9' });
    assert.deepEqual(s.moderated, [['general', { kind: 'delete', messageId: '9' }]]);
    h.rt.reconnectNow();
    h.rt.reconnectNow('work');
    h.rt.reconnectNow('nobody');
    assert.equal(s.reconnects, 2);
    assert.equal(h.rt.capabilities('work').moderation, true);
    await h.rt.stop();
  });

  it('refreshes rooms on later connected events (rooms discovered at run time)', async () => {
    const h = harness();
    await h.rt.start();
    const s = h.sessions.get('work')!;
    await s.joinRoom('late');
    assert.ok(!h.rt.store.getState().roomOrder.includes(roomKey('work', 'id-late')));
    s.down();
    s.up();
    assert.ok(h.rt.store.getState().roomOrder.includes(roomKey('work', 'id-late')));
    await h.rt.stop();
  });
});

describe('ChatRuntime over the real chatapi connector (test server)', () => {
  it('history, mention, typing, and sends through a 429 and a socket drop arrive once, in order', async () => {
    const { startChatApiServer } = await import('../servers/chatapi/server.js');
    const R1 = '11111111-1111-4111-8111-111111111111';
    const R2 = '22222222-2222-4222-8222-222222222222';
    const s = await startChatApiServer({ rooms: [{ id: R1, name: 'general' }, { id: R2, name: 'random' }] });
    const rt = new ChatRuntime({
      profiles: [{ name: 'c', service: 'chatapi', url: s.url, token: s.apiKey, userId: 'me1', userName: 'Alice', rooms: [R1, R2] }],
      getConnector,
      resolveToken: async () => s.apiKey,
      saveProfile: async () => undefined,
      store: new SessionStore({ notifyIntervalMs: 0 }),
      stateDir: tempDir(),
      backoff: { baseMs: 20, capMs: 100 },
    });
    try {
      s.post(R1, { sender_id: 'u2', sender_name: 'Jane', content: 'old one' });
      await rt.start();
      const k = roomKey('c', R1);
      assert.equal(rt.store.getState().profiles.c!.state, 'connected');
      assert.equal(rt.store.getState().rooms[k]!.name, 'general');
      await rt.loadOlder(k);
      assert.deepEqual(room(rt, k).messages.map((m) => m.text), ['old one']);
      rt.store.setActiveRoom(roomKey('c', R2));
      s.post(R1, { sender_id: 'u2', sender_name: 'Jane', content: 'hey @Alice' });
      s.typing(R1, 'u3', 'Bob', true);
      await until(() => room(rt, k).mentions === 1 && room(rt, k).typing.length === 1, 'mention and typing');
      rt.send(k, 'one');
      s.rateLimit(1, 1, 'POST');
      rt.send(k, 'two');
      await until(() => rt.outboxEntries().length === 0, 'sent through the rate limit', 10_000);
      s.drop();
      rt.send(k, 'three');
      await until(() => rt.outboxEntries().length === 0 && room(rt, k).messages.some((m) => m.text === 'three' && m.status === 'sent'), 'sent after the drop', 10_000);
      assert.deepEqual(s.messages.get(R1)!.map((m) => m.content), ['old one', 'hey @Alice', 'one', 'two', 'three']);
      const mine = room(rt, k).messages.filter((m) => m.author.id === 'me1');
      assert.deepEqual(mine.map((m) => [m.text, m.status]), [
        ['one', 'sent'],
        ['two', 'sent'],
        ['three', 'sent'],
      ]);
      assert.equal(new Set(room(rt, k).messages.map((m) => m.id)).size, room(rt, k).messages.length);
    } finally {
      await rt.stop();
      await s.close();
    }
  });
});

describe('the outbox behind OutboxStore', () => {
  /** A JSON outbox in memory that refuses claims for the texts in `refused` and records what the runtime asked. */
  class GatedOutbox extends JsonOutbox {
    readonly refused = new Set<string>();
    readonly claims: string[] = [];
    released = 0;
    override claim(txnId: string): boolean {
      const e = this.get(txnId);
      this.claims.push(e?.text ?? '?');
      if (e && this.refused.has(e.text)) return false;
      return super.claim(txnId);
    }
    override release(): void {
      this.released++;
    }
  }

  it('restores from the given outbox, sends only what it claims, and releases it at stop', async () => {
    const outbox = new GatedOutbox();
    const restored: OutboxEntry = { txnId: 't-old', profile: 'work', room: 'general', text: 'from before', time: '2024-01-01T00:00:00.000Z', status: 'queued', attempts: 0, rateLimited: 0 };
    outbox.add(restored);
    outbox.load = () => outbox.entries();
    outbox.refused.add('held elsewhere');
    const h = harness({ outbox });
    assert.equal(room(h.rt).messages.find((m) => m.txnId === 't-old')?.status, 'pending');
    await h.rt.start();
    await until(() => room(h.rt).messages.find((m) => m.txnId === 't-old')?.status === 'sent', 'the restored send confirmed');
    h.rt.send(K, 'held elsewhere');
    await until(() => outbox.claims.includes('held elsewhere'), 'a claim');
    await new Promise((r) => setTimeout(r, 30));
    const sent = h.sessions.get('work')!.sent.map((x) => x.text);
    assert.deepEqual(sent, ['from before']);
    assert.equal(h.rt.outboxEntries().find((e) => e.text === 'held elsewhere')?.status, 'queued');
    await h.rt.stop();
    assert.equal(outbox.released, 1);
  });
});

describe('the send policy', () => {
  it('refuses read-only profiles (their reason, else the default) and texts over the limit in graphemes', () => {
    const caps = { ...BASE_CAPS, maxMessageLength: 3 };
    assert.equal(sendRefusal(undefined, 'anything'), undefined);
    assert.equal(sendRefusal(caps, '👍🏽👍🏽👍🏽'), undefined);
    assert.deepEqual(sendRefusal(caps, '👍🏽👍🏽👍🏽👍🏽'), { code: 'too_long', reason: 'message too long: 4 characters, the limit is 3' });
    assert.deepEqual(sendRefusal({ ...caps, readOnly: true }, 'hi'), { code: 'read_only', reason: DEFAULT_READ_ONLY_REASON });
    assert.deepEqual(sendRefusal({ ...caps, readOnly: true, readOnlyReason: 'no token' }, 'a long text'), { code: 'read_only', reason: 'no token' });
  });
});

describe('the core knows no connector', () => {
  it('no file under src/core imports src/connectors (the CLI passes the registry in)', () => {
    const root = join(import.meta.dirname, '..', '..', 'src', 'core');
    const offenders: string[] = [];
    for (const f of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.ts')) continue;
      const text = readFileSync(join(root, f), 'utf8');
      if (/from\s+'(\.\.\/)+connectors\//.test(text) || /import\(\s*'(\.\.\/)+connectors\//.test(text)) offenders.push(f);
    }
    assert.deepEqual(offenders, []);
  });
});
