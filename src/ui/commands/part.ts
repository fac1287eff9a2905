import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/part`: leaves the shown room (capability `join`). */
export const part: SlashCommand = {
  name: 'part',
  usage: '',
  description: 'leave / close the current room',
  capability: 'join',
  unavailable: 'this service cannot leave rooms at run time',
  run(ctx) {
    if (!ctx.activeKey) return fail(ctx, 'no room open');
    ctx.runtime.part(ctx.activeKey).then(() => ctx.notify('left the room', 'info'), notifyError(ctx));
  },
};
