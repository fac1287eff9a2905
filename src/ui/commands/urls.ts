import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/urls`: the URL picker of the shown room (Enter opens with $BROWSER or copies with OSC 52). */
export const urls: SlashCommand = {
  name: 'urls',
  usage: '',
  description: 'pick a URL of this room: Enter opens it ($BROWSER) or copies it (OSC 52)',
  run(ctx) {
    if (!ctx.activeKey) return fail(ctx, 'no room open');
    if (!ctx.openUrls) return fail(ctx, '/urls: not available here');
    ctx.openUrls();
  },
};
