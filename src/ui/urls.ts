import { spawn } from 'node:child_process';
import { URL_RE } from './lines.js';
import type { UiSnapshot } from './types.js';

/**
 * The URL picker's parts: the URLs of a room's loaded messages, and what Enter does with one (opens
 * it with `$BROWSER`, else copies it to the clipboard through the terminal with OSC 52).
 */

/** The distinct URLs of room `key`'s loaded messages, newest first, at most `limit` (deleted messages left out). */
export function roomUrls(snap: UiSnapshot, key: string, limit = 50): { url: string; author: string }[] {
  const msgs = snap.rooms[key]?.messages ?? [];
  const seen = new Set<string>();
  const out: { url: string; author: string }[] = [];
  for (let i = msgs.length - 1; i >= 0 && out.length < limit; i--) {
    const m = msgs[i]!;
    if (m.deleted || m.kind === 'gap') continue;
    const found = m.text.match(URL_RE) ?? [];
    for (let j = found.length - 1; j >= 0 && out.length < limit; j--) {
      const url = found[j]!;
      if (seen.has(url)) continue;
      seen.add(url);
      out.push({ url, author: m.author.name });
    }
  }
  return out;
}

/** OSC 52 "set the clipboard" for `text` (base64 of its UTF-8). */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}

/**
 * Opens `url` with `$BROWSER` (its first `:`-separated command; `%s` in it is replaced by the URL,
 * else the URL is the last argument), detached and without output, and says `opened`; without
 * `$BROWSER` (or when it cannot start) writes OSC 52 with `write` and says `copied`. Never throws.
 */
export function openOrCopy(url: string, write: (s: string) => void, env: NodeJS.ProcessEnv = process.env): 'opened' | 'copied' {
  const browser = env.BROWSER?.split(':').find((b) => b.trim());
  if (browser) {
    try {
      const parts = browser.trim().split(/\s+/);
      const args = parts.slice(1).map((a) => a.replaceAll('%s', url));
      if (!browser.includes('%s')) args.push(url);
      const child = spawn(parts[0]!, args, { detached: true, stdio: 'ignore' });
      child.on('error', () => {});
      child.unref();
      return 'opened';
    } catch {
      // falls back to the clipboard
    }
  }
  write(osc52(url));
  return 'copied';
}
