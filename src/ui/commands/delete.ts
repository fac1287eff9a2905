import type { StoredMessage } from '../../core/state.js';
import { ownMessage } from '../own-messages.js';
import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/**
 * The message `/delete [USER|ID]` means, from a room's loaded messages (oldest first): with no argument
 * the newest message; with an argument equal to a message id that message; otherwise the newest message
 * whose author's name or id equals the argument (case-insensitive, a leading `@` ignored). Only sent,
 * not yet deleted chat messages count (no pending echoes, notices or gap markers).
 * Returns the message, or an error text for the user.
 */
export function pickMessageToDelete(messages: readonly StoredMessage[], arg: string): StoredMessage | { error: string } {
  const candidate = (m: StoredMessage): boolean => m.kind === 'normal' && !m.deleted && m.status === 'sent';
  const want = arg.trim();
  if (!want) {
    for (let i = messages.length - 1; i >= 0; i--) if (candidate(messages[i]!)) return messages[i]!;
    return { error: 'no message to delete in this room' };
  }
  const byId = messages.find((m) => m.id === want && candidate(m));
  if (byId) return byId;
  const who = want.replace(/^@/, '').toLowerCase();
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (candidate(m) && (m.author.name.toLowerCase() === who || m.author.id.toLowerCase() === who)) return m;
  }
  return { error: `no loaded message from ${who} or with that id` };
}

/**
 * `/delete [USER|ID]`: with moderation rights deletes a message of the shown room (capability
 * `moderation`); else your own newest message, or yours by id (capability `deleteOwn`).
 */
export const del: SlashCommand = {
  name: 'delete',
  usage: '[USER|ID]',
  description: "delete your last message (moderators: the newest, USER's newest, or one by id)",
  capability: ['moderation', 'deleteOwn'],
  unavailable: 'this service cannot delete messages (moderators can, on services with moderation)',
  run(ctx, { rest }) {
    const key = ctx.activeKey;
    if (!key) return fail(ctx, 'no room open');
    if (!ctx.runtime.capabilities(ctx.profile ?? '').moderation) {
      const own = ownMessage(ctx.store.getState(), key, rest.trim() || undefined);
      if ('error' in own) return fail(ctx, own.error);
      ctx.runtime.deleteMessage(key, own.id).then(() => ctx.notify('deleted your message', 'info'), notifyError(ctx));
      return;
    }
    const target = pickMessageToDelete(ctx.store.getState().rooms[key]?.messages ?? [], rest);
    if ('error' in target) return fail(ctx, target.error);
    ctx.runtime.moderate(key, { kind: 'delete', messageId: target.id }).then(() => ctx.notify(`deleted a message from ${target.author.name}`, 'info'), notifyError(ctx));
  },
};
