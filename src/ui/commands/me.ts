import { sendRefusal } from '../../core/runtime/send-policy.js';
import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/**
 * The text `/me TEXT` sends: none of the services has an action message type, so the emote is a
 * clearly marked line, `*TEXT*` (Markdown services show it in italics, as Slack shows `/me`).
 */
export function emoteText(text: string): string {
  return `*${text.trim()}*`;
}

/** `/me TEXT`: an emote in the shown room, through the same send policy as a typed line. */
export const me: SlashCommand = {
  name: 'me',
  usage: 'TEXT',
  description: 'an emote line ("*waves*": no service here has actions)',
  minArgs: 1,
  run(ctx, { rest }) {
    const key = ctx.activeKey;
    if (!key) return fail(ctx, 'no room open');
    const text = emoteText(rest);
    const refusal = sendRefusal(ctx.runtime.capabilities(ctx.profile ?? ''), text);
    if (refusal) return fail(ctx, refusal.code === 'read_only' ? `read-only: ${refusal.reason}` : refusal.reason);
    ctx.runtime.send(key, text);
    ctx.scrollToBottom();
  },
};
