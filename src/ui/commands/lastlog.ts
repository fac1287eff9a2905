import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/lastlog TEXT`: the loaded messages of the shown room with every word of TEXT, in the search overlay (Enter shows one). */
export const lastlog: SlashCommand = {
  name: 'lastlog',
  usage: 'TEXT',
  description: 'find TEXT in the loaded messages of this room (/search: the whole archive)',
  minArgs: 1,
  run(ctx, { rest }) {
    if (!ctx.activeKey) return fail(ctx, 'no room open');
    if (!ctx.openSearch) return fail(ctx, '/lastlog: not available here');
    ctx.openSearch(rest, { loaded: true });
  },
};
