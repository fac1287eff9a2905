import type { SlashCommand } from './types.js';

/**
 * `/clear`: drops the shown room's loaded messages from memory (pending and failed sends stay); the
 * pane stays cleared (new messages still show) until the user scrolls up for older ones.
 */
export const clear: SlashCommand = {
  name: 'clear',
  usage: '',
  description: 'clear the loaded messages from view',
  run(ctx) {
    if (!ctx.activeKey) return;
    ctx.clearRoom();
  },
};
