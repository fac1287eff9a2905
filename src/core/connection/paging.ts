/**
 * Paging back through a service's history (core-owned, as mautrix bridgev2's backfill): the connector
 * only reads one page (`page(before, limit)`, oldest first); this walks back page by page until a
 * stop condition, the start of the history, or the page budget. A server that ignores the cursor and
 * answers with the newest page again is recognised (the cursor message is in the answer): what is
 * older than the cursor is kept and paging stops.
 */
export interface PageBackOptions<M extends { id: string }> {
  /** One page of at most `limit` messages older than message id `before` (the newest when undefined), oldest first. */
  page(before: string | undefined, limit: number): Promise<M[]>;
  /** Largest page the service answers (e.g. 100). */
  pageSize: number;
  /** Most pages read (the budget of one catch-up or history read). */
  maxPages: number;
  /** Start before this message id (history `before`). */
  before?: string;
  /** Stop once this many messages were collected (history `limit`); default: no count limit. */
  want?: number;
  /** Stop after the page for which this returns true (the catch-up's anchor was reached). */
  stopAt?(page: M[]): boolean;
}

/** What paging back collected: messages oldest first (ids unique); `complete` when the history's start was reached. */
export interface PageBackResult<M> {
  messages: M[];
  complete: boolean;
  stopped: boolean;
}

/** Walks back through the history; see {@link PageBackOptions}. Throws what `page` throws. */
export async function pageBack<M extends { id: string }>(o: PageBackOptions<M>): Promise<PageBackResult<M>> {
  const pages: M[][] = [];
  const ids = new Set<string>();
  let count = 0;
  let cursor = o.before;
  let complete = false;
  let stopped = false;
  for (let i = 0; i < o.maxPages; i++) {
    const limit = o.want === undefined ? o.pageSize : Math.min(o.pageSize, o.want - count);
    if (limit <= 0) break;
    let page = await o.page(cursor, limit);
    const full = page.length >= limit;
    let ignored = false;
    if (cursor !== undefined) {
      const at = page.findIndex((m) => m.id === cursor);
      if (at >= 0) {
        page = page.slice(0, at); // the server ignored the cursor
        ignored = true;
      }
    }
    page = page.filter((m) => !ids.has(m.id));
    if (o.want !== undefined) page = page.slice(-(o.want - count));
    for (const m of page) ids.add(m.id);
    pages.push(page);
    count += page.length;
    if (o.stopAt?.(page)) {
      stopped = true;
      break;
    }
    if (ignored || page.length === 0) break;
    if (!full) {
      complete = true;
      break;
    }
    cursor = page[0]?.id;
    if (cursor === undefined) break;
  }
  return { messages: pages.reverse().flat(), complete, stopped };
}
