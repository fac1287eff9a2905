import type { SlashCommand } from './types.js';

/** `/members`: shows or hides the member list (as F2). */
export const members: SlashCommand = {
  name: 'members',
  usage: '',
  description: 'show / hide the member list',
  run: (ctx) => ctx.toggleMembers(),
};
