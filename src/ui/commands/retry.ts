import type { SlashCommand } from './types.js';

/** `/retry`: resends the newest failed message of the shown room (as Ctrl-R). */
export const retry: SlashCommand = {
  name: 'retry',
  usage: '',
  description: 'resend the newest failed message',
  run: (ctx) => ctx.retry(),
};
