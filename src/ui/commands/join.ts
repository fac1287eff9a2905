import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/join ROOM`: opens another room at run time and shows it (capability `join`). */
export const join: SlashCommand = {
  name: 'join',
  usage: 'ROOM',
  description: 'open another room (channel, room id, slug)',
  minArgs: 1,
  capability: 'join',
  unavailable: 'this service cannot open rooms at run time',
  run(ctx, { args }) {
    const profile = ctx.profile;
    if (!profile) return fail(ctx, 'no profile to join with');
    const ref = args[0] ?? '';
    ctx.notify(`joining ${ref}…`, 'info');
    ctx.runtime.join(profile, ref).then((key) => {
      ctx.pick(key);
      ctx.notify(`joined ${ref}`, 'info');
    }, notifyError(ctx));
  },
};
