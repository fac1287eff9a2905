import type { UserRef } from '../events.js';
import type { ProfileEntry, StoreCore } from './core.js';
import { isDigits } from './order.js';

/**
 * Mentions: whether a message names us. Our id in the service's mention list, or our name or id as
 * a word in the text (with or without `@`). Our own messages never mention us.
 */

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The word pattern of our name and id; undefined when both are blank. An all-digit id matches only as `@42`. */
export function mentionPattern(me: UserRef): RegExp | undefined {
  const alts: string[] = [];
  for (const s of [me.name, me.id]) {
    const t = s.trim();
    if (t.length === 0) continue;
    // An all-digit id would match any number in the text: only `@42` counts for those.
    alts.push(isDigits(t) ? `@${escapeRegExp(t)}` : `@?${escapeRegExp(t)}`);
  }
  return alts.length ? new RegExp(`(?<![\\p{L}\\p{N}_@])(?:${alts.join('|')})(?![\\p{L}\\p{N}_])`, 'iu') : undefined;
}

/** Sets our own user on a profile (for mentions, "own messages never count" and typing). No-op when unchanged. */
export function setMe(s: StoreCore, profile: string, me: UserRef): void {
  const p = s.ensureProfile(profile);
  if (p.st.me && p.st.me.id === me.id && p.st.me.name === me.name) return;
  p.st = { ...p.st, me: { id: me.id, name: me.name } };
  p.mentionRe = mentionPattern(me);
  s.changed();
}

/** Whether a message by `author` with `text` (and the service's `mentions` id list) mentions us. */
export function isMention(p: ProfileEntry | undefined, author: UserRef, text: string, mentions: string[] | undefined): boolean {
  const me = p?.st.me;
  if (!me) return false;
  if (author.id === me.id) return false;
  if (mentions && mentions.includes(me.id)) return true;
  return p.mentionRe !== undefined && p.mentionRe.test(text);
}
