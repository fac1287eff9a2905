import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/copy`: copy mode of the shown room (its messages as plain text, full width; c/Enter copies one with OSC 52). */
export const copy: SlashCommand = {
  name: 'copy',
  usage: '',
  description: 'copy mode: the messages as plain text (no gutter); c/Enter copies one (OSC 52)',
  run(ctx) {
    if (!ctx.activeKey) return fail(ctx, 'no room open');
    if (!ctx.openCopy) return fail(ctx, '/copy: not available here');
    ctx.openCopy();
  },
};
