import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/profile NAME`: shows the first room of another profile. */
export const profile: SlashCommand = {
  name: 'profile',
  usage: 'NAME',
  description: 'switch to a profile',
  minArgs: 1,
  run(ctx, { args }) {
    const name = args[0] ?? '';
    const s = ctx.store.getState();
    if (!s.profiles[name]) return fail(ctx, `unknown profile: ${name}`);
    const key = s.roomOrder.find((k) => s.rooms[k]?.profile === name);
    if (!key) return fail(ctx, `${name} has no room open yet`);
    ctx.pick(key);
  },
};
