import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, RoomInfo } from '../../core/connector.js';
import { ChatError } from '../../core/errors.js';
import type { MessageEvent, UserRef } from '../../core/events.js';
import { probeProtocol, type ChatApiProtocol } from './protocol.js';

/**
 * A chatapi session whose protocol is not known yet (`--protocol auto` when `profile add` could not
 * reach the server): `connect` probes the server once (protocol.ts), stores the answer in the profile
 * (`saveProfile`), then hands everything to the session of that protocol. Before that it has the
 * capabilities of `fallback` (the Doc B ones).
 */
export class ProbingSession implements ConnectorSession {
  private inner: ConnectorSession | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly make: (protocol: ChatApiProtocol, ctx: ConnectorContext) => ConnectorSession,
    private readonly fallback: Capabilities,
    private readonly probe: (url: string, signal: AbortSignal) => Promise<ChatApiProtocol | undefined> = probeProtocol,
  ) {}

  /** The capabilities of the protocol's session once probed. */
  get capabilities(): Capabilities {
    return this.inner?.capabilities ?? this.fallback;
  }

  /** Probes, saves `protocol`, connects the protocol's session. Rejects `network` when the server cannot be reached. */
  connect(signal: AbortSignal): Promise<void> {
    this.connecting ??= (async () => {
      const found = await this.probe(this.ctx.profile.url ?? '', signal);
      if (this.closed) throw new ChatError('network', 'disconnected');
      if (!found) throw new ChatError('network', 'cannot reach the server to find which ChatAPI protocol it speaks (--protocol auto)');
      await this.ctx.saveProfile({ protocol: found }).catch(() => {});
      this.inner = this.make(found, { ...this.ctx, profile: { ...this.ctx.profile, protocol: found } });
      await this.inner.connect(signal);
    })();
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.inner?.disconnect();
  }

  reconnectNow(): void {
    this.inner?.reconnectNow();
  }

  send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    return this.need().send(room, text, txnId);
  }

  rooms(): RoomInfo[] {
    return this.inner?.rooms() ?? (this.ctx.profile.rooms ?? []).map((id) => ({ id, name: id }));
  }

  history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const s = this.need();
    return s.history ? s.history(room, opts) : Promise.resolve([]);
  }

  listRooms(): Promise<RoomInfo[]> {
    const s = this.need();
    return s.listRooms ? s.listRooms() : Promise.resolve(s.rooms());
  }

  setTyping(room: string, typing: boolean): void {
    this.inner?.setTyping?.(room, typing);
  }

  resolveRoom(ref: string): Promise<RoomInfo> {
    const s = this.need();
    return s.resolveRoom ? s.resolveRoom(ref) : Promise.resolve({ id: ref, name: ref });
  }

  joinRoom(ref: string): Promise<RoomInfo> {
    const s = this.need();
    if (!s.joinRoom) throw new ChatError('protocol', 'this server cannot join rooms at run time');
    return s.joinRoom(ref);
  }

  async partRoom(room: string): Promise<void> {
    await this.inner?.partRoom?.(room);
  }

  me(): UserRef | undefined {
    return this.inner?.me?.();
  }

  private need(): ConnectorSession {
    if (!this.inner) throw new ChatError('network', 'not connected yet');
    return this.inner;
  }
}
