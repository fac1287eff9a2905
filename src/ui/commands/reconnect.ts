import type { SlashCommand } from './types.js';

/** `/reconnect`: reconnects the shown profile now (as F5). */
export const reconnect: SlashCommand = {
  name: 'reconnect',
  usage: '',
  description: 'reconnect this profile now (reads the profile from the config again)',
  run: (ctx) => ctx.reconnect(),
};
