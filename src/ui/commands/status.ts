import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/status`: the status buffer — every notice and error of this run. */
export const status: SlashCommand = {
  name: 'status',
  usage: '',
  description: 'every notice and error of this run (the status buffer)',
  run(ctx) {
    if (!ctx.openStatus) return fail(ctx, '/status: not available here');
    ctx.openStatus();
  },
};
