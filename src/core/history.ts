import { pageBack, type PageBackOptions } from './connection/index.js';
import type { ConnectorSession, HistoryOptions } from './connector.js';
import { ChatError } from './errors.js';
import type { MessageEvent } from './events.js';

/**
 * Reading more history than one request of the service returns (glimesh caps one `chatMessages` page at
 * 1000, facts §6): the connector reads one page (`history(room, {before, limit})`, at most its
 * `capabilities.historyPageSize`), and the kit's `pageBack` walks back page by page until `limit`
 * messages are in or the history ends (a short page; a server that ignores `before` is recognised).
 */

/**
 * The latest `opts.limit` messages of `room` (those before message id `opts.before` when given), oldest
 * first, each id once. Throws ChatError `protocol` when the session has no history, else what the
 * connector's `history` throws (not_found, network…).
 */
export async function pageHistory(session: ConnectorSession, room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
  const history = session.history?.bind(session);
  if (!history || !session.capabilities.history) throw new ChatError('protocol', 'this service keeps no history that can be fetched', { retryable: false });
  const want = Math.max(1, Math.floor(opts.limit));
  const pageSize = Math.max(1, Math.min(want, session.capabilities.historyPageSize ?? want));
  const o: PageBackOptions<MessageEvent> = {
    page: (before, limit) => history(room, before === undefined ? { limit } : { before, limit }),
    pageSize,
    // Every page but the last is full; two more allow for pages thinned by duplicates.
    maxPages: Math.ceil(want / pageSize) + 2,
    want,
  };
  if (opts.before !== undefined) o.before = opts.before;
  return (await pageBack(o)).messages;
}
