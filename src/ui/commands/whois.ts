import type { UserRef } from '../../core/events.js';
import type { StoredMessage } from '../../core/state.js';
import { ellipsize, sanitizeLine } from '../../core/sanitize.js';
import { formatTime } from '../format.js';
import type { UiSnapshot } from '../types.js';
import type { SlashCommand } from './types.js';
import { fail } from './types.js';

/**
 * One line about a user of profile `profile` from what the store holds: name and id, presence in the
 * shown room (where the service has presence), and the newest loaded message of theirs in any room of
 * the profile (local time, room, text cut to 60 characters). `who` is a name or id (case-insensitive,
 * a leading `@` ignored). Returns undefined when no room of the profile knows the user.
 */
export function whoisLine(snap: UiSnapshot, profile: string, shownKey: string | undefined, who: string): string | undefined {
  const want = who.replace(/^@/, '').toLowerCase();
  const hit = (u: UserRef): boolean => u.id.toLowerCase() === want || u.name.toLowerCase() === want;
  let user: UserRef | undefined;
  let last: { m: StoredMessage; room: string } | undefined;
  for (const r of Object.values(snap.rooms)) {
    if (r.profile !== profile) continue;
    user ??= r.members.find(hit) ?? r.online?.find(hit);
    for (let i = r.messages.length - 1; i >= 0; i--) {
      const m = r.messages[i]!;
      if (m.kind !== 'normal' || !hit(m.author)) continue;
      if (!last || m.ts > last.m.ts) last = { m, room: r.name };
      break;
    }
  }
  user ??= last?.m.author;
  if (!user) return undefined;
  const shown = shownKey ? snap.rooms[shownKey] : undefined;
  const parts = [`${user.name}${user.name !== user.id ? ` (id ${user.id})` : ''}`];
  if (shown?.online) parts.push(shown.online.some((u) => u.id === user.id) ? `online in ${shown.name}` : `not online in ${shown.name}`);
  parts.push(last ? `last message ${formatTime(last.m.ts)} in ${last.room}: ${last.m.deleted ? '(deleted)' : `"${ellipsize(sanitizeLine(last.m.text), 60)}"`}` : 'no loaded message');
  return parts.join(' · ');
}

/** `/whois USER`: id, name, presence and last message of a user, from what is loaded. */
export const whois: SlashCommand = {
  name: 'whois',
  usage: 'USER',
  description: "a user's id, name, presence and last message (from what is loaded)",
  minArgs: 1,
  run(ctx, { args }) {
    if (!ctx.profile) return fail(ctx, 'no profile');
    const line = whoisLine(ctx.store.getState(), ctx.profile, ctx.activeKey, args[0] ?? '');
    if (!line) return fail(ctx, `no user ${ellipsize(sanitizeLine(args[0] ?? ''), 40)} in the loaded rooms of ${ctx.profile}`);
    ctx.notify(line, 'info');
  },
};
