import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** `/topic [TEXT]`: says the shown room's topic; with TEXT sets it where the service can (capability `topicSet`). */
export const topic: SlashCommand = {
  name: 'topic',
  usage: '[TEXT]',
  description: "show the room's topic; set it (services that can)",
  run(ctx, { rest }) {
    const key = ctx.activeKey;
    if (!key) return fail(ctx, 'no room open');
    const room = ctx.store.getState().rooms[key];
    if (!rest) {
      ctx.notify(room?.topic ? `topic of ${room.name}: ${room.topic}` : `${room?.name ?? 'this room'} has no topic`, 'info');
      return;
    }
    if (!ctx.runtime.capabilities(ctx.profile ?? '').topicSet) return fail(ctx, '/topic: this service cannot set a topic');
    ctx.runtime.setTopic(key, rest).then(() => ctx.notify(`topic set: ${rest}`, 'info'), notifyError(ctx));
  },
};
