import type { SlashCommand } from './types.js';

/** `/help`: the keys and commands overlay. */
export const help: SlashCommand = {
  name: 'help',
  usage: '',
  description: 'show keys and commands',
  run: (ctx) => ctx.openHelp(),
};
