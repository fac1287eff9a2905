import type { Channel, Push, Socket } from 'phoenix';
import { ChatError, toChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { CONTROL_TOPIC, errorsOf, isRecord, type PhxMessage } from './wire.js';

/**
 * The Absinthe control channel (facts §4): one join of `__absinthe__:control` per socket, `doc` pushes
 * (queries, mutations, subscriptions) with their replies, and the subscription ids that route
 * `subscription:data`. Ids die with the channel, so every (re)join starts a new generation and the
 * session subscribes again. The channel ends in three ways (facts §4, §9 "Failures"):
 * - `phx_error` (the channel process crashed; its subscriptions are gone, pending pushes get no reply):
 *   phoenix's Channel rejoins by itself after `rejoinAfterMs`, on the same channel;
 * - `phx_close` of the current join (the channel was shut down): phoenix removes the channel, so a new
 *   one is joined here, after the rejoin delay;
 * - a `phx_close` of an older join (the late close of a duplicate join): phoenix drops frames whose
 *   join ref is not the current one (`Channel.isMember`), so it never reaches us.
 */

/** What a subscription id stands for: a channel's chat or its title/status, made in join generation `gen`. */
export interface SubTarget {
  room: string;
  kind: 'chat' | 'channel';
  gen: number;
}

/** A reply to a pushed document. */
export interface DocReply {
  status: 'ok' | 'error';
  response: Record<string, unknown>;
}

/** What the control channel tells the session. */
export interface ControlHooks {
  /** A (re)join succeeded: generation `gen` begins (subscribe every room again). */
  joined(gen: number): void;
  /** A `subscription:data` result for a subscription of the current generation. */
  data(target: SubTarget, data: Record<string, unknown>): void;
  /** A throttled notice of `kind`. */
  notice(kind: string, text: string, room?: string): void;
  /** Why the socket is about to close, when phoenix knows better than the close code (heartbeat). */
  reason(text: string): void;
  /** Delay before joining a new channel after a phx_close, ms. */
  rejoinDelay(): number;
}

/** The control channel of the current socket. */
export class ControlChannel {
  /** Join generation: subscriptions and backfills of an older one are stale. */
  gen = 0;
  /** The channel is joined (pushes can go). */
  joined = false;
  private socket: Socket | undefined;
  private channel: Channel | undefined;
  private readonly subs = new Map<string, SubTarget>();
  private readonly pending = new Set<(err: ChatError) => void>();
  /** Aborted when the generation ends (catch-ups of an ended generation deliver nothing). */
  private genCtl = new AbortController();

  constructor(
    private readonly hooks: ControlHooks,
    private readonly pushTimeoutMs: number,
  ) {}

  /** Joins the control topic on `socket` (its join "ok" fires again on every rejoin). */
  attach(socket: Socket): void {
    this.socket = socket;
    this.join(socket);
  }

  /** The socket is gone or replaced: nothing is joined, every subscription id is meaningless (facts §4). */
  detach(): void {
    this.socket = undefined;
    this.channel = undefined;
    this.down();
  }

  /** Every push waiting for a reply fails with `err`. */
  fail(err: ChatError): void {
    const all = [...this.pending];
    this.pending.clear();
    for (const reject of all) reject(err);
  }

  /**
   * Pushes a document on the control topic. Resolves with the reply; rejects with ChatError `network`
   * when not joined, on time-out (no reply within the push timeout) or when the channel or socket ends
   * first. `onOk` runs synchronously with an "ok" reply, before the next frame is handled.
   */
  push(query: string, variables: Record<string, unknown>, what: string, onOk?: (response: Record<string, unknown>) => void): Promise<DocReply> {
    const channel = this.channel;
    if (!channel || !this.joined || !this.socket?.isConnected()) return Promise.reject(new ChatError('network', `${what}: not connected`));
    return new Promise<DocReply>((resolve, reject) => {
      let push: Push;
      const fail = (err: ChatError): void => {
        this.pending.delete(fail);
        reject(err);
      };
      const reply = (status: DocReply['status'], response: unknown): void => {
        this.pending.delete(fail);
        const r = isRecord(response) ? response : {};
        if (status === 'ok') onOk?.(r);
        resolve({ status, response: r });
      };
      this.pending.add(fail);
      try {
        push = channel.push('doc', { query, variables }, this.pushTimeoutMs);
      } catch (err) {
        fail(toChatError(err));
        return;
      }
      push
        .receive('ok', (response?: unknown) => reply('ok', response))
        .receive('error', (response?: unknown) => reply('error', response))
        .receive('timeout', () => fail(new ChatError('network', `${what}: no reply from Glimesh within ${Math.round(this.pushTimeoutMs / 1000)} s`)));
    });
  }

  /**
   * Subscribes a document for `target` (its generation). The subscription id is routed from the moment
   * the reply is handled, so a push that follows the reply in the same read is not lost. A late reply
   * of an older generation is unsubscribed at once (it would double the current one). Throws ChatError
   * `protocol`/`not_found` when refused, `network` as `push`.
   */
  async subscribe(target: SubTarget, query: string, variables: Record<string, unknown>): Promise<void> {
    let id: string | undefined;
    const reply = await this.push(query, variables, `subscribe ${target.kind}`, (response) => {
      id = typeof response.subscriptionId === 'string' ? response.subscriptionId : undefined;
      if (id === undefined) return;
      if (target.gen === this.gen && this.joined) this.subs.set(id, target);
      else this.unsubscribe(id);
    });
    if (reply.status !== 'ok' || id === undefined) {
      const text = errorsOf(reply.response)[0]?.message ?? (typeof reply.response.error === 'string' ? sanitizeLine(reply.response.error) : 'refused');
      throw new ChatError(text === 'Could not find resource' ? 'not_found' : 'protocol', `Glimesh refused the subscription: ${text}`, { retryable: false });
    }
  }

  /** Ends every subscription of channel `room` (`unsubscribe`, best effort) and forgets them. */
  unsubscribeRoom(room: string): void {
    for (const [id, target] of [...this.subs]) {
      if (target.room !== room) continue;
      this.subs.delete(id);
      this.unsubscribe(id);
    }
  }

  /**
   * Leaves the channel and joins a new one after the rejoin delay (once per generation `gen`): used
   * when a subscribe got no reply, so whether the server holds that subscription is unknown — its
   * subscriptions die with the channel (facts §4), which is safer than risking a second one.
   */
  restart(gen: number): void {
    const socket = this.socket;
    const old = this.channel;
    if (!socket || !old || gen !== this.gen) return;
    this.channel = undefined;
    this.down(); // results of the old join are stale from here on
    try {
      old.leave();
    } catch {
      // leaving is best effort: the new join replaces the old channel on the server anyway
    }
    this.later(socket);
  }

  /** Routes a decoded frame: `subscription:data` by subscription id (facts §4 "Data"); the rest is phoenix's. */
  route(msg: PhxMessage): void {
    if (msg.event !== 'subscription:data') return;
    const target = this.subs.get(msg.topic);
    if (!target) return; // an id from an earlier join, or not ours
    const result = isRecord(msg.payload.result) ? msg.payload.result : undefined;
    const data = result && isRecord(result.data) ? result.data : undefined;
    if (!data) {
      this.hooks.notice('bad-data', 'dropped a subscription push without data');
      return;
    }
    this.hooks.data(target, data);
  }

  /** The signal of the current generation: aborted when it ends. */
  get signal(): AbortSignal {
    return this.genCtl.signal;
  }

  /** Nothing is joined: the subscriptions are gone, and pushes, subscribes and backfills under way are stale. */
  private down(): void {
    this.next();
    this.joined = false;
    this.subs.clear();
  }

  /** A new generation begins; the old one's signal is aborted. */
  private next(): number {
    this.genCtl.abort();
    this.genCtl = new AbortController();
    return ++this.gen;
  }

  private unsubscribe(id: string): void {
    const channel = this.channel;
    if (!channel || !this.joined) return;
    try {
      channel.push('unsubscribe', { subscriptionId: id }, this.pushTimeoutMs);
    } catch {
      // best effort
    }
  }

  /** Joins a new channel after the rejoin delay, unless another was joined or the socket changed meanwhile. */
  private later(socket: Socket): void {
    const timer = setTimeout(() => {
      if (this.socket === socket && !this.channel) this.join(socket);
    }, this.hooks.rejoinDelay());
    timer.unref?.();
  }

  private join(socket: Socket): void {
    const channel = socket.channel(CONTROL_TOPIC, {});
    this.channel = channel;
    channel.onError((reason?: unknown) => {
      if (this.channel !== channel) return;
      this.down();
      if (isRecord(reason) && reason.reason === 'heartbeat_timeout') this.hooks.reason('no reply to the heartbeat (connection presumed dead)');
      if (isRecord(reason) && reason.source === 'transport') return; // the socket's own trouble: the socket handles it
      // phx_error: phoenix rejoins this channel after rejoinAfterMs; the rejoin's "ok" resubscribes.
      this.fail(new ChatError('network', 'the Glimesh control channel crashed (phx_error) before it replied'));
      this.hooks.notice('phx_error', 'Glimesh reset the chat channel; joining again');
    });
    channel.onClose(() => {
      if (this.channel !== channel || this.socket !== socket) return; // our own leave, or an old socket
      this.channel = undefined;
      this.down();
      this.fail(new ChatError('network', 'the Glimesh control channel was closed (phx_close) before it replied'));
      this.hooks.notice('phx_close', 'Glimesh closed the chat channel; joining again');
      this.later(socket); // phoenix removed the closed channel: join a new one, once
    });
    channel
      .join(this.pushTimeoutMs)
      .receive('ok', () => {
        if (this.channel !== channel) return;
        const gen = this.next();
        this.joined = true;
        this.subs.clear();
        this.hooks.joined(gen);
      })
      .receive('error', (resp?: unknown) => {
        const reason = isRecord(resp) ? sanitizeLine(resp.reason).slice(0, 100) : '';
        this.hooks.notice('join-error', `Glimesh refused to join the chat channel${reason ? ` (${reason})` : ''}; retrying`);
      })
      .receive('timeout', () => {
        this.hooks.notice('join-timeout', 'Glimesh did not answer the channel join; retrying');
      });
  }
}
