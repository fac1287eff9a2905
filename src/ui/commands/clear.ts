import type { SlashCommand } from './types.js';

/** `/clear`: drops the shown room's loaded messages from memory (pending and failed sends stay). */
export const clear: SlashCommand = {
  name: 'clear',
  usage: '',
  description: 'clear the loaded messages from view',
  run(ctx) {
    if (!ctx.activeKey) return;
    ctx.store.clearRoom(ctx.activeKey);
    ctx.scrollToBottom();
  },
};
