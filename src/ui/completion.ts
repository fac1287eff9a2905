import type { UiSnapshot } from './types.js';

/**
 * Tab completion of names in the composer: people of the shown room (recent authors, then the
 * online list, then members; never ourselves), by prefix, case-insensitive. Written `@name` where the
 * service uses `@` (capability `atMentions`) or the user typed `@`; at the start of a line without
 * `@` it becomes `name: `.
 */

/** How many of the newest messages are looked at for authors. */
const RECENT = 300;

/** Completions of `word` in the room `key` (at the start of the line or not). */
export function completeNames(s: UiSnapshot, key: string | undefined, word: string, atLineStart: boolean): string[] {
  const r = key ? s.rooms[key] : undefined;
  if (!r) return [];
  const me = s.profiles[r.profile]?.me;
  const at = word.startsWith('@');
  const prefix = (at ? word.slice(1) : word).toLowerCase();
  const names = new Map<string, string>();
  const add = (id: string, name: string): void => {
    if (id !== me?.id && name && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  };
  for (let i = r.messages.length - 1; i >= Math.max(0, r.messages.length - RECENT); i--) {
    const m = r.messages[i];
    if (m && m.kind === 'normal') add(m.author.id, m.author.name);
  }
  for (const u of r.online ?? []) add(u.id, u.name);
  for (const u of r.members) add(u.id, u.name);
  const useAt = at || (s.profiles[r.profile]?.capabilities.atMentions ?? false);
  const suffix = atLineStart && !useAt ? ': ' : ' ';
  return [...names.values()].filter((n) => n.toLowerCase().startsWith(prefix)).map((n) => `${useAt ? '@' : ''}${n}${suffix}`);
}
