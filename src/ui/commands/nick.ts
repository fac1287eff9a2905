import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/nick NAME`: changes the profile's display name, saved to the profile (capability `nick`; the profile reconnects with it). */
export const nick: SlashCommand = {
  name: 'nick',
  usage: 'NAME',
  description: 'change your display name (saved to the profile; reconnects)',
  minArgs: 1,
  capability: 'nick',
  unavailable: 'this service has no display name to change',
  run(ctx, { rest }) {
    const profile = ctx.profile;
    if (!profile) return fail(ctx, 'no profile');
    ctx.runtime.setNick(profile, rest).then(() => ctx.notify(`you are now ${rest} (saved to profile ${profile})`, 'info'), notifyError(ctx));
  },
};
