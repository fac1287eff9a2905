import type { ConnectorSession, HistoryOptions } from './connector.js';
import { ChatError } from './errors.js';
import type { MessageEvent } from './events.js';

/**
 * Reading more history than one request of the service returns (glimesh caps one `chatMessages` page at
 * 1000, facts §6): the connector reads one page (`history(room, {before, limit})`, at most its
 * `capabilities.historyPageSize`), and this pages back until `limit` messages are in or the history
 * ends. A page shorter than asked is the start of the history; a server that ignores `before` and
 * answers with the newest page again is recognised (the `before` message is in the answer) and ends it.
 */

/**
 * The latest `opts.limit` messages of `room` (those before message id `opts.before` when given), oldest
 * first, each id once. Throws ChatError `protocol` when the session has no history, else what the
 * connector's `history` throws (not_found, network…).
 */
export async function pageHistory(session: ConnectorSession, room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
  if (!session.history || !session.capabilities.history) throw new ChatError('protocol', 'this service keeps no history that can be fetched', { retryable: false });
  const want = Math.max(1, Math.floor(opts.limit));
  const size = Math.max(1, session.capabilities.historyPageSize ?? want);
  const pages: MessageEvent[][] = [];
  const ids = new Set<string>();
  let count = 0;
  let cursor = opts.before;
  while (count < want) {
    const ask = Math.min(size, want - count);
    let page = await session.history(room, cursor === undefined ? { limit: ask } : { before: cursor, limit: ask });
    const full = page.length >= ask;
    let ignored = false;
    if (cursor !== undefined) {
      const at = page.findIndex((m) => m.id === cursor);
      if (at >= 0) {
        page = page.slice(0, at); // the server ignored `before`
        ignored = true;
      }
    }
    page = page.filter((m) => !ids.has(m.id)).slice(-(want - count));
    for (const m of page) ids.add(m.id);
    pages.push(page);
    count += page.length;
    if (ignored || !full || page.length === 0) break;
    cursor = page[0]!.id;
  }
  return pages.reverse().flat();
}
