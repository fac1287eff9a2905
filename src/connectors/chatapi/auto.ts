import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, RoomInfo } from '../../core/connector.js';
import { ReconnectingLink, type LinkOptions } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import type { MessageEvent, UserRef } from '../../core/events.js';
import type { Backoff } from '../../core/reconnect.js';
import { probeOrThrow, type ChatApiProtocol, type ProbeResult } from './protocol.js';

/**
 * A chatapi session whose protocol is not known yet (`auto`: `profile add` could not reach the
 * server): `connect` probes the server (protocol.ts) on the kit's `ReconnectingLink` — a server that
 * is down gets the usual `connecting` / `error` (once) / `reconnecting` with backoff — stores the answer
 * in the profile (`saveProfile`), then hands everything to the session of that protocol. Before that
 * it has the capabilities of `fallback` (the Doc B ones).
 */
export class ProbingSession implements ConnectorSession {
  private inner: ConnectorSession | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly make: (protocol: ChatApiProtocol, ctx: ConnectorContext) => ConnectorSession,
    private readonly fallback: Capabilities,
    private readonly backoff?: () => Backoff,
  ) {}

  private probeLink: ReconnectingLink | undefined;

  /** The capabilities of the protocol's session once probed. */
  get capabilities(): Capabilities {
    return this.inner?.capabilities ?? this.fallback;
  }

  /** Probes, saves `protocol`, connects the protocol's session. Rejects `network` when the server cannot be reached. */
  connect(signal: AbortSignal): Promise<void> {
    this.connecting ??= (async () => {
      const { protocol, sure } = await this.find();
      if (this.closed) throw new ChatError('network', 'disconnected');
      // A server that answered no probe in time is taken as Doc B for now, and asked again next time.
      if (sure) await this.ctx.saveProfile({ protocol }).catch(() => {});
      this.inner = this.make(protocol, { ...this.ctx, profile: { ...this.ctx.profile, protocol } });
      await this.inner.connect(signal);
    })();
    return this.connecting;
  }

  /** Probes until the server answers (or a failure that is not retryable, or disconnect). */
  private find(): Promise<ProbeResult> {
    return new Promise<ProbeResult>((resolve, reject) => {
      let found: ProbeResult | undefined;
      const o: LinkOptions = {
        emit: (ev) => {
          if (!this.closed) this.ctx.emit(ev);
        },
        open: async (a) => {
          found = await probeOrThrow(this.ctx.profile.url ?? '', a.signal);
          queueMicrotask(() => {
            link.stop();
            resolve(found!);
          });
          return { close: () => a.end({}), terminate: () => a.end({}) };
        },
        onFailed: (err) => reject(err),
      };
      const backoff = this.backoff?.();
      if (backoff) o.backoff = backoff;
      const link = new ReconnectingLink(o);
      this.probeLink = link;
      link.ready.catch(() => {
        if (found === undefined) reject(link.failure ?? new ChatError('network', 'disconnected'));
      });
      link.start();
    });
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    this.probeLink?.stop();
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
