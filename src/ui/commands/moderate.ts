import type { ModerationAction } from '../../core/connector.js';
import type { SlashCommand } from './types.js';
import { fail, notifyError } from './types.js';

/** What the moderation commands say without the capability. */
export const NO_MODERATION = 'no moderation rights here (only channel owners and moderators, on services that have moderation)';

/** A moderation command acting on one user of the shown room (`/timeout`, `/ban`, `/unban`; capability `moderation`). */
export function userModeration(kind: Exclude<ModerationAction['kind'], 'delete'>, description: string): SlashCommand {
  return {
    name: kind,
    usage: 'USER',
    description,
    minArgs: 1,
    capability: 'moderation',
    unavailable: NO_MODERATION,
    run(ctx, { args }) {
      if (!ctx.activeKey) return fail(ctx, 'no room open');
      ctx.runtime.moderate(ctx.activeKey, { kind, user: args[0] ?? '' }).catch(notifyError(ctx));
    },
  };
}
