import type { StoredMessage } from '../../core/state.js';
import type { UiStore } from '../types.js';
import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/**
 * The newest message of a room that did not go out: failed first (the one the user is looking at),
 * else, with `queued`, the newest still waiting in the outbox. Undefined when there is none.
 */
export function newestUnsent(store: UiStore, key: string | undefined, queued = false): StoredMessage | undefined {
  const msgs = key ? store.getState().rooms[key]?.messages : undefined;
  if (!msgs) return undefined;
  let pending: StoredMessage | undefined;
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (!m || m.txnId === undefined) continue;
    if (m.status === 'failed') return m;
    if (queued && m.status === 'pending' && !pending) pending = m;
  }
  return pending;
}

/**
 * `/discard [all]`: drops the newest failed message of the shown room (else the newest one still
 * queued), or with `all` every failed one, from the outbox for good (it does not come back at the
 * next start).
 */
export const discard: SlashCommand = {
  name: 'discard',
  usage: '[all]',
  description: 'drop the newest failed (or queued) message; all: every failed one',
  run(ctx, { args }) {
    const key = ctx.activeKey;
    if (!key) return fail(ctx, 'no room open');
    if (args[0] === 'all') {
      const failed = (ctx.store.getState().rooms[key]?.messages ?? []).filter((m) => m.status === 'failed' && m.txnId !== undefined);
      const n = failed.filter((m) => ctx.runtime.discard(key, m.txnId as string)).length;
      ctx.notify(n ? `discarded ${n} failed message${n === 1 ? '' : 's'}` : 'no failed message in this room', 'info');
      return;
    }
    if (args.length) return fail(ctx, 'usage: /discard [all]');
    const m = newestUnsent(ctx.store, key, true);
    if (!m?.txnId) return void ctx.notify('nothing to discard in this room', 'info');
    if (!ctx.runtime.discard(key, m.txnId)) return void ctx.notify('that message is being sent; it cannot be taken back now', 'info');
    ctx.notify('message discarded', 'info');
  },
};
