import type { RoomInfo } from '../../core/connector.js';
import { CatchUp } from '../../core/connection/index.js';
import type { ConnectorEvent } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import type { GraphHttp } from './http.js';
import { resultError, type Msg } from './pages.js';
import { CHANNEL_BY_ID, CHANNEL_BY_USERNAME, compareIds, parseChannel, type ChannelInfo } from './wire.js';

/**
 * The channels a session follows. A room is a Glimesh channel: its id is the channel id, given by the
 * user as that id or as the streamer's username, looked up over HTTP (new schema
 * `channel(id:)` / `channel(streamerUsername:)`, case-insensitive; facts §6 "Channel lookup").
 */

/** One channel we follow. */
export interface Room {
  /** The channel id (the room id). */
  id: string;
  info: ChannelInfo;
  /** Join generation whose subscriptions this room has (or is getting). */
  subGen: number;
  /** Exactly-once delivery and backfill (the kit's catch-up); ids are increasing integers (facts §6), so they order the anchor. */
  stream: CatchUp<Msg>;
}

/** The followed channels, by channel id. */
export class ChannelRooms {
  private readonly map = new Map<string, Room>();

  /**
   * `http()`: the current GraphQL client; `emit`: room, gap and notice events; `deliver(m)`: emits a
   * new message of a room (each id once, from the room's stream); `notice`: a throttled notice.
   */
  constructor(
    private readonly http: () => GraphHttp,
    private readonly emit: (ev: ConnectorEvent) => void,
    private readonly deliver: (m: Msg) => void,
    private readonly notice: (kind: string, text: string, room: string) => void,
  ) {}

  /** Looks a channel up by numeric id or streamer username (case-insensitive, facts §6). Throws ChatError not_found. */
  async lookup(ref: string): Promise<ChannelInfo> {
    const numeric = /^\d+$/.test(ref);
    const res = await this.http().run(numeric ? CHANNEL_BY_ID : CHANNEL_BY_USERNAME, numeric ? { id: ref } : { username: ref }, 'channel lookup');
    const info = parseChannel(res.data.channel);
    if (!info) throw resultError(res, 'channel lookup', numeric ? `channel ${ref}` : `a channel of "${sanitizeLine(ref).slice(0, 60)}"`);
    return info;
  }

  /** The room for `ref` (id or streamer username), looked up and added when new (idempotent by channel id). */
  async add(ref: string): Promise<Room> {
    const known = this.find(ref);
    if (known) return known;
    const info = await this.lookup(ref);
    const existing = this.map.get(info.id);
    if (existing) return existing;
    const room: Room = {
      id: info.id,
      info,
      subGen: 0,
      stream: new CatchUp<Msg>({
        deliver: this.deliver,
        gap: () => this.emit({ type: 'gap', room: info.id }),
        failed: (message) => this.notice('backfill', `could not backfill ${room.info.streamer.name}'s chat: ${message}`, info.id),
        newer: (m, anchor) => anchor === undefined || compareIds(m.id, anchor.id) > 0,
      }),
    };
    this.map.set(info.id, room);
    this.update(room, info, false);
    return room;
  }

  /** A followed room by channel id or streamer username (case-insensitive). */
  find(ref: string): Room | undefined {
    const direct = this.map.get(ref);
    if (direct) return direct;
    const lower = ref.toLowerCase();
    for (const r of this.map.values()) if (r.info.streamer.username.toLowerCase() === lower) return r;
    return undefined;
  }

  /** New channel facts (a lookup, or a `channel` subscription push): a `room` event; live/offline changes as a notice. */
  update(room: Room, info: ChannelInfo, fromPush: boolean): void {
    const before = room.info;
    room.info = { ...info, streamer: info.streamer.username ? info.streamer : before.streamer };
    const name = room.info.streamer.name;
    this.emit({ type: 'room', room: room.id, name, topic: room.info.title, live: room.info.live });
    if (fromPush && before.live !== info.live) {
      this.emit({ type: 'notice', text: info.live ? `${name} is live${info.title ? `: ${info.title}` : ''}` : `${name} went offline`, room: room.id });
    }
  }

  /** Stops following a channel. */
  remove(id: string): void {
    this.map.delete(id);
  }

  /** Every followed room. */
  all(): Room[] {
    return [...this.map.values()];
  }

  get size(): number {
    return this.map.size;
  }
}

/** A channel as RoomInfo: id = channel id, name = streamer username, topic = stream title, live. */
export function roomInfo(info: ChannelInfo): RoomInfo {
  return { id: info.id, name: info.streamer.username || info.streamer.name, topic: info.title, live: info.live };
}
