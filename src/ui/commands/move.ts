import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/** `/move N`: moves the shown room to number N of the room list (Alt-N follows; kept across restarts). */
export const move: SlashCommand = {
  name: 'move',
  usage: 'N',
  description: 'move this room to number N of the room list',
  minArgs: 1,
  run(ctx, { args }) {
    if (!ctx.activeKey) return fail(ctx, 'no room open');
    const n = Number(args[0]);
    if (!Number.isInteger(n) || n < 1) return fail(ctx, 'usage: /move N (a room number, 1 or more)');
    ctx.moveRoom(n);
  },
};
