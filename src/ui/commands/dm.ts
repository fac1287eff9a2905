import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/dm USER`: asks the service for a direct conversation; its answer is a notice (capability `dms`). */
export const dm: SlashCommand = {
  name: 'dm',
  usage: 'USER',
  description: 'start a direct conversation',
  minArgs: 1,
  capability: 'dms',
  unavailable: 'this service has no direct messages',
  run(ctx, { rest }) {
    if (!ctx.profile) return fail(ctx, 'no profile');
    ctx.runtime.dm(ctx.profile, rest).then((text) => ctx.notify(text, 'info'), notifyError(ctx));
  },
};
