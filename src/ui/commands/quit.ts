import type { SlashCommand } from './types.js';

/** `/quit`: leaves chat-tui (exit code 0). */
export const quit: SlashCommand = {
  name: 'quit',
  usage: '',
  description: 'leave chat-tui',
  run: (ctx) => ctx.quit(0),
};
