import { ChatError } from '../../core/errors.js';
import type { MessageEvent } from '../../core/events.js';
import type { GqlResult, GraphHttp } from './http.js';
import { CHAT_PAGE, MAX_PAGE, compareIds, isRecord, parseMessage } from './wire.js';

/**
 * Chat history over HTTP: the new schema's Relay connection `chatMessages(last:, before:)` (facts §6
 * "chatMessages pagination"): at most 1000 per page, oldest first, cursors are offsets
 * (`base64("arrayconnection:N")`). Paging backwards from the end with `last` + `before` is stable
 * because the list only grows. Callers speak in message ids; the cursors seen are kept per channel so
 * that "before message id X" finds its cursor (or is found by reading back).
 */

/** A message as the connector emits it (the runtime adds the profile). */
export type Msg = Omit<MessageEvent, 'profile'>;

/** One page: messages oldest first; `startCursor` pages further back while `hasPrevious`. */
export interface ChatPage {
  messages: Msg[];
  hasPrevious: boolean;
  startCursor: string | undefined;
}

/** Cursors remembered per channel (the oldest forgotten first). */
const CURSOR_LIMIT = 10_000;
/** Most pages read back to find the cursor of a `before` id that was never paged. */
const SEEK_PAGES = 20;

/** A ChatError for a result whose field came back null: "Could not find resource" → not_found (facts §6). */
export function resultError(res: GqlResult, what: string, subject: string): ChatError {
  const text = res.errors[0]?.message;
  if (!text || text === 'Could not find resource') return new ChatError('not_found', `${what}: ${subject} not found on Glimesh`, { retryable: false });
  return new ChatError('protocol', `${what}: ${text}`, { retryable: false });
}

/** The chat history of the channels of one session. */
export class ChatPages {
  private readonly cursors = new Map<string, Map<string, string>>();

  /** `http()` is the current GraphQL client (it changes when the token is renewed). */
  constructor(private readonly http: () => GraphHttp) {}

  /**
   * One page of channel `channelId`: the last `last` (1–1000) messages before cursor `before` (the
   * newest without), oldest first. Throws ChatError not_found for an unknown channel, network/protocol
   * as GraphHttp.
   */
  async page(channelId: string, last: number, before: string | undefined): Promise<ChatPage> {
    const variables: Record<string, unknown> = { id: channelId, last: Math.min(MAX_PAGE, Math.max(1, Math.floor(last))) };
    if (before !== undefined) variables.before = before;
    const res = await this.http().run(CHAT_PAGE, variables, 'history');
    const channel = res.data.channel;
    if (!isRecord(channel)) throw resultError(res, 'history', `channel ${channelId}`);
    const conn = isRecord(channel.chatMessages) ? channel.chatMessages : {};
    const edges = Array.isArray(conn.edges) ? conn.edges : [];
    const known = this.of(channelId);
    const messages: Msg[] = [];
    for (const edge of edges) {
      if (!isRecord(edge)) continue;
      const ev = parseMessage(edge.node, channelId);
      if (!ev) continue;
      if (typeof edge.cursor === 'string' && edge.cursor.length < 200) {
        known.set(ev.id, edge.cursor);
        if (known.size > CURSOR_LIMIT) {
          const oldest = known.keys().next().value;
          if (oldest !== undefined) known.delete(oldest);
        }
      }
      messages.push(ev);
    }
    messages.sort((a, b) => compareIds(a.id, b.id));
    const info = isRecord(conn.pageInfo) ? conn.pageInfo : {};
    const startCursor = typeof info.startCursor === 'string' ? info.startCursor : undefined;
    return { messages, hasPrevious: info.hasPreviousPage === true, startCursor };
  }

  /**
   * One page of at most `limit` (capped at 1000) messages older than message id `before` (the newest
   * without), oldest first; empty when `before` is not found. A `before` id that was never paged is
   * found by reading pages back from the newest (at most 20).
   */
  async before(channelId: string, before: string | undefined, limit: number): Promise<Msg[]> {
    let cursor: string | undefined;
    if (before !== undefined) {
      cursor = await this.cursorOf(channelId, before);
      if (cursor === undefined) return [];
    }
    return (await this.page(channelId, limit, cursor)).messages;
  }

  /** Forgets a channel's cursors (the room was left). */
  forget(channelId: string): void {
    this.cursors.delete(channelId);
  }

  private of(channelId: string): Map<string, string> {
    let known = this.cursors.get(channelId);
    if (!known) {
      known = new Map();
      this.cursors.set(channelId, known);
    }
    return known;
  }

  private async cursorOf(channelId: string, id: string): Promise<string | undefined> {
    let cursor = this.cursors.get(channelId)?.get(id);
    let back: string | undefined;
    for (let i = 0; cursor === undefined && i < SEEK_PAGES; i++) {
      const page = await this.page(channelId, MAX_PAGE, back);
      cursor = this.cursors.get(channelId)?.get(id);
      if (!page.hasPrevious || !page.startCursor || page.messages.some((m) => compareIds(m.id, id) < 0)) break;
      back = page.startCursor;
    }
    return cursor;
  }
}
