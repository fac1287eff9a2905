import { ownMessage } from '../own-messages.js';
import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/edit TEXT`: replaces the text of your newest message in the shown room (capability `editOwn`; Up on an empty composer edits it in place). */
export const editCmd: SlashCommand = {
  name: 'edit',
  usage: 'TEXT',
  description: 'replace your last message with TEXT (Up on an empty line edits it in place)',
  minArgs: 1,
  capability: 'editOwn',
  unavailable: 'this service cannot edit messages',
  run(ctx, { rest }) {
    const key = ctx.activeKey;
    if (!key) return fail(ctx, 'no room open');
    const target = ownMessage(ctx.store.getState(), key);
    if ('error' in target) return fail(ctx, target.error);
    ctx.runtime.editMessage(key, target.id, rest).catch(notifyError(ctx));
  },
};
