import type { ModerationAction } from '../../core/connector.js';
import { ChatError } from '../../core/errors.js';
import type { ConnectorEvent } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import type { GqlResult, GraphHttp } from './http.js';
import { READ_ONLY_REASON, refusal } from './send.js';
import { MODERATION, USER_BY_NAME, idOf, isRecord } from './wire.js';

/**
 * Moderation through the new schema's mutations over HTTP (facts §6 "Moderation mutations"): delete →
 * deleteChatMessage, timeout → shortTimeoutUser (5 min), ban → banUser, unban → unbanUser. They need
 * scope `chat` and owner, moderator or admin rights. Users are named by username; their ids are learnt
 * from the messages seen (and looked up with `user(username:)` otherwise).
 */

/** Usernames remembered (lower case → user id; the oldest forgotten first). */
const USER_LIMIT = 10_000;

/** Moderation of one session. */
export class Moderation {
  private readonly userIds = new Map<string, string>();

  /** `http()`: the current GraphQL client; `readOnly()`: a client-id profile; `emit`: the outcome events. */
  constructor(
    private readonly http: () => GraphHttp,
    private readonly readOnly: () => boolean,
    private readonly emit: (ev: ConnectorEvent) => void,
  ) {}

  /** Remembers a user's id by name (from a message). */
  learn(name: string, id: string): void {
    this.userIds.set(name.toLowerCase(), id);
    if (this.userIds.size > USER_LIMIT) {
      const oldest = this.userIds.keys().next().value;
      if (oldest !== undefined) this.userIds.delete(oldest);
    }
  }

  /**
   * Runs `action` in channel `channelId`; a deletion emits `message.delete`, the others a notice.
   * Throws ChatError read_only (client id), forbidden with the reason (no rights), not_found (an unknown
   * user or message).
   */
  async run(channelId: string, action: ModerationAction): Promise<void> {
    if (this.readOnly()) throw new ChatError('read_only', `cannot moderate: ${READ_ONLY_REASON}`, { retryable: false });
    let res: GqlResult;
    let field: string;
    if (action.kind === 'delete') {
      field = 'deleteChatMessage';
      res = await this.http().run(MODERATION.delete, { channelId, messageId: action.messageId }, 'delete');
    } else {
      const userId = await this.userId(action.user);
      field = action.kind === 'timeout' ? 'shortTimeoutUser' : action.kind === 'ban' ? 'banUser' : 'unbanUser';
      res = await this.http().run(MODERATION[action.kind], { channelId, userId }, action.kind);
    }
    if (!isRecord(res.data[field])) {
      const e = refusal(res.errors, action.kind, this.readOnly());
      if (e.code === 'auth') throw new ChatError('forbidden', `${action.kind}: Glimesh said "unauthorized": only the channel owner, its moderators and admins can do this (and the token needs scope "chat")`, { retryable: false });
      throw e;
    }
    if (action.kind === 'delete') {
      this.emit({ type: 'message.delete', room: channelId, id: action.messageId });
    } else {
      const who = sanitizeLine(action.user).slice(0, 60);
      const done = action.kind === 'timeout' ? `timed out ${who} for 5 minutes` : action.kind === 'ban' ? `banned ${who}` : `unbanned ${who}`;
      this.emit({ type: 'notice', text: done, room: channelId });
    }
  }

  private async userId(user: string): Promise<string> {
    const name = user.replace(/^@/, '').trim();
    const cached = this.userIds.get(name.toLowerCase());
    if (cached) return cached;
    const res = await this.http().run(USER_BY_NAME, { username: name }, 'user lookup');
    const id = isRecord(res.data.user) ? idOf(res.data.user.id) : undefined;
    if (id) return id;
    if (/^\d+$/.test(name)) return name;
    throw new ChatError('not_found', `no Glimesh user named "${sanitizeLine(name).slice(0, 60)}"`, { retryable: false });
  }
}
