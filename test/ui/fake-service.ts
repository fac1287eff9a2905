import type { Capabilities, ConnectorContext, ConnectorDefinition, ConnectorSession, HistoryOptions, RoomInfo } from '../../src/core/connector.js';
import type { MessageEvent } from '../../src/core/events.js';
import { ChatRuntime } from '../../src/core/runtime/index.js';
import type { RuntimeOptions } from '../../src/core/runtime/index.js';
import { SessionStore } from '../../src/core/store/index.js';
import { caps } from './fixtures.js';

/**
 * A scripted in-memory connector for App tests over the REAL SessionStore and ChatRuntime: `say`
 * emits a message, `older` is what the next history call returns, sends are confirmed at once.
 */

export class FakeSession implements ConnectorSession {
  sent: { room: string; text: string; txnId: string }[] = [];
  typing: { room: string; on: boolean }[] = [];
  historyCalls: HistoryOptions[] = [];
  older: MessageEvent[] = [];
  private n = 0;
  constructor(readonly ctx: ConnectorContext, readonly capabilities: Capabilities, private readonly roomList: RoomInfo[]) {}
  async connect(): Promise<void> {
    this.ctx.emit({ type: 'connection', state: 'connected' });
  }
  async disconnect(): Promise<void> {}
  reconnectNow(): void {}
  rooms(): RoomInfo[] {
    return this.roomList;
  }
  me() {
    return { id: 'me', name: 'Me' };
  }
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    this.sent.push({ room, text, txnId });
    return { type: 'message', profile: this.ctx.profile.name, room, id: `s${++this.n}`, author: { id: 'me', name: 'Me' }, text, time: new Date().toISOString(), txnId };
  }
  setTyping(room: string, on: boolean): void {
    this.typing.push({ room, on });
  }
  async history(_room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    this.historyCalls.push(opts);
    const out = this.older;
    this.older = [];
    return out;
  }
  say(room: string, id: string, text: string, author = { id: 'jane', name: 'Jane' }, time = new Date().toISOString()): void {
    this.ctx.emit({ type: 'message', room, id, author, text, time });
  }
}

/** A runtime with one profile `fk` (rooms lobby, dev) on the fake connector; `extra` adds runtime options. */
export function setup(c: Partial<Capabilities> = {}, extra: Partial<RuntimeOptions> = {}) {
  let session: FakeSession | undefined;
  const def: ConnectorDefinition = {
    id: 'fake',
    displayName: 'Fake',
    capabilities: caps(c),
    profileFields: [],
    validate() {},
    create(ctx) {
      session = new FakeSession(ctx, caps(c), [{ id: 'lobby', name: 'lobby' }, { id: 'dev', name: 'dev' }]);
      return session;
    },
  };
  const store = new SessionStore({ notifyIntervalMs: 0 });
  const runtime = new ChatRuntime({
    profiles: [{ name: 'fk', service: 'fake', rooms: ['lobby', 'dev'] }],
    resolveToken: async () => 'tok',
    saveProfile: async () => {},
    store,
    getConnector: (id) => (id === 'fake' ? def : undefined),
    ...extra,
  });
  return { runtime, store, session: () => session! };
}

