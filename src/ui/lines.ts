import type { StoredMessage } from '../core/state.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { dayLabel, formatTime, localDay } from './format.js';
import type { Theme, UiColor } from './theme.js';
import { cellWidth, pad, truncate, wrapPlain } from './wrap.js';

/**
 * Message → screen rows ("each message's wrapped lines are computed once per
 * width … cached by message id + width + edit").
 *
 * Layout of a message (weechat-like columns):
 *   `HH:MM  author │ text that wraps and continues`
 *   `              │ under the text column`
 * Same-author runs (within 5 minutes, same day) show the author only on the first message.
 * Rows are strings with SGR styling only (the text itself was sanitised in the connector).
 */

/** Layout settings that affect the rows of every message. */
export interface LayoutOptions {
  width: number;
  theme: Theme;
  /** Time pattern (format.ts `formatTime`), default `HH:mm`. */
  timeFormat?: string;
  /** Our user on this profile: our own name is not highlighted as a mention of ourselves. */
  selfId?: string;
  /** Our display name, highlighted inside texts that mention us. */
  selfName?: string;
  /** What a failed message's row offers (keymap.ts `failedHint`); default `press Alt-R or /retry`. */
  failedHint?: string;
  /** Author colours that differ for the people on screen (theme `distinctColors`); else each author's own. */
  nickColors?: ReadonlyMap<string, UiColor>;
}

/** A screen row: `text` is at most `width` cells, may contain SGR codes. */
export interface Row {
  key: string;
  text: string;
}

/** Width of the author column for a pane width. */
export function nickWidth(width: number): number {
  return Math.min(14, Math.max(6, Math.floor(width * 0.18)));
}

const GROUP_MS = 5 * 60_000;

/** Whether message `m` continues the same-author run of `prev` (author not shown again). A mention always shows its author (highlighted). */
export function isGrouped(prev: StoredMessage | undefined, m: StoredMessage): boolean {
  return (
    prev !== undefined &&
    prev.kind === 'normal' && m.kind === 'normal' && !m.mention &&
    !prev.deleted && prev.author.id === m.author.id &&
    m.ts - prev.ts < GROUP_MS && localDay(prev.ts) === localDay(m.ts)
  );
}

/**
 * Entries the pane's row cache keeps: the messages on screen (at most one a row) plus a margin for
 * scrolling back and forth and for switching rooms — four screens of a 120-row terminal. Bounded by
 * the screen, never by the scrollback (bench `rss_100k_mb`: ~760 bytes an entry for a one-row chat line).
 */
export const ROW_CACHE_ENTRIES = 512;

/** A bounded LRU cache of message rows, keyed by id + rev + width + layout flags. */
export class RowCache {
  private map = new Map<string, string[]>();
  hits = 0;
  misses = 0;
  constructor(private readonly max = ROW_CACHE_ENTRIES) {}
  get(key: string, make: () => string[]): string[] {
    const v = this.map.get(key);
    if (v) {
      this.hits++;
      // refresh LRU position
      this.map.delete(key);
      this.map.set(key, v);
      return v;
    }
    this.misses++;
    const made = make();
    this.map.set(key, made);
    if (this.map.size > this.max) {
      const first = this.map.keys().next().value;
      if (first !== undefined) this.map.delete(first);
    }
    return made;
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
  }
}

/** The process-wide cache used by the message pane. */
export const rowCache = new RowCache();

export const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

const link = (target: string, text: string): string => `\u001b]8;;${target}\u0007${text}\u001b]8;;\u0007`;

/**
 * Wraps every whole URL of `line` in an OSC 8 hyperlink; a piece of a URL too long for one row (a
 * word of `line` that is part of one of `urls`, at least 6 characters or its start) links to the
 * whole URL, so a click on any of its rows opens all of it (the gutter never splits the target).
 */
export function linkify(line: string, urls: ReadonlySet<string>): string {
  if (urls.size === 0) return line;
  const whole = line.replace(URL_RE, (u) => (urls.has(u) ? link(u, u) : u));
  return whole.replace(/\S+/g, (tok) => {
    if (tok.includes('\u001b')) return tok;
    for (const u of urls) if (u !== tok && u.includes(tok) && (tok.length >= 6 || u.startsWith(tok))) return link(u, tok);
    return tok;
  });
}

function highlightMention(line: string, name: string | undefined, t: Theme): string {
  if (!name || name.length < 2 || line.includes('\u001b]')) return line; // never inside a hyperlink
  const i = line.toLowerCase().indexOf(name.toLowerCase());
  if (i < 0) return line;
  return line.slice(0, i) + t.c.bold.underline(line.slice(i, i + name.length)) + line.slice(i + name.length);
}

/** The rows of one message without separators (cached). */
export function messageLines(m: StoredMessage, grouped: boolean, o: LayoutOptions, cache: RowCache = rowCache): string[] {
  const fmt = o.timeFormat ?? 'HH:mm';
  const key = `${m.id}\u0000${m.rev}\u0000${o.width}\u0000${grouped ? 1 : 0}\u0000${fmt}\u0000${o.theme.noColor ? 0 : 1}${o.theme.hyperlinks ? 1 : 0}\u0000${m.status}\u0000${m.deleted ? 1 : 0}\u0000${m.edited ? 1 : 0}${m.archived ? 1 : 0}${m.status === 'failed' ? `\u0000${o.failedHint ?? ''}` : ''}\u0000${o.nickColors?.get(m.author.id) ?? ''}`;
  return cache.get(key, () => layoutMessage(m, grouped, o));
}

/** Lays out one message (not cached). */
export function layoutMessage(m: StoredMessage, grouped: boolean, o: LayoutOptions): string[] {
  const t = o.theme;
  const c = t.c;
  const width = Math.max(10, o.width);
  const time = formatTime(m.ts, o.timeFormat);
  const timeW = cellWidth(time);
  if (m.kind === 'gap') {
    const label = truncate(' messages may be missing here ', width - 4);
    const side = Math.max(0, width - cellWidth(label));
    return [c.dim(t.paint('yellow', '─'.repeat(Math.floor(side / 2)) + label + '─'.repeat(Math.ceil(side / 2))))];
  }
  let nickW = nickWidth(width);
  let textCol = timeW + 1 + nickW + 3; // "HH:MM " + nick + " │ "
  const narrow = width - textCol < 12;
  if (narrow) {
    nickW = 0;
    textCol = 2;
  }
  const textW = Math.max(4, width - textCol);
  let body: string;
  // Connectors sanitise every remote string; the pane does it again (cheap, cached) as a last line of defence.
  if (m.deleted) body = 'message deleted';
  else body = sanitize(m.text);
  const wrapped = wrapPlain(body, textW);
  const urls = t.hyperlinks && !m.deleted ? new Set(body.match(URL_RE) ?? []) : new Set<string>();
  // Style of the body.
  const style = (plainLine: string): string => {
    const line = linkify(plainLine, urls);
    if (m.deleted) return c.dim.italic(line);
    if (m.kind === 'system') return c.dim(line);
    if (m.status === 'pending') return c.dim(line);
    if (m.status === 'failed') return t.paint('red', line);
    if (m.mention) return c.bold(t.paint('yellow', highlightMention(line, o.selfName, t)));
    return line;
  };
  const nickText = m.kind === 'system' ? '*' : grouped ? '' : sanitizeLine(m.author.name || m.author.id);
  const nickCell = pad(truncate(nickText, nickW), nickW, true);
  let nick = m.kind === 'system' ? c.dim(nickCell) : t.paint(o.nickColors?.get(m.author.id) ?? t.userColor(m.author.id), nickCell);
  if (m.mention && !grouped && m.kind !== 'system') nick = c.inverse(nick);
  // A dashed bar: shown from the local archive, not (yet) confirmed by the server.
  const bar = m.mention ? (t.noColor ? '›' : t.paint('yellow', '│')) : c.dim(m.archived ? '┆' : '│');
  const rows: string[] = [];
  const timeCell = c.dim(time);
  const marks: string[] = [];
  if (m.edited && !m.deleted) marks.push('(edited)');
  if (m.status === 'pending') marks.push('⧗');
  const marksPlain = marks.join(' ');
  for (let i = 0; i < wrapped.length; i++) {
    const line = wrapped[i] ?? '';
    const text = style(line);
    if (i === wrapped.length - 1 && marks.length) {
      // The marks go after the last line when they fit, else on a row of their own.
      if (cellWidth(line) + 1 + cellWidth(marksPlain) <= textW) rows.push(prefix(i, `${text} ${c.dim(marksPlain)}`));
      else {
        rows.push(prefix(i, text));
        rows.push(prefix(i + 1, c.dim(marksPlain)));
      }
      continue;
    }
    rows.push(prefix(i, text));
  }
  if (m.status === 'failed') {
    const why = m.error ? `not sent: ${sanitizeLine(m.error)}` : 'not sent';
    for (const l of wrapPlain(`✗ ${why} — ${o.failedHint ?? 'press Alt-R or /retry'}`, textW)) rows.push(prefix(1, t.paint('red', l)));
  }
  return rows;

  function prefix(lineNo: number, text: string): string {
    if (narrow) return lineNo === 0 ? `${timeCell} ${nickText ? `${nick.trimStart()} ` : ''}${text}` : `  ${text}`;
    if (lineNo === 0) return `${timeCell} ${nick} ${bar} ${text}`;
    return `${' '.repeat(timeW + 1 + nickW)} ${bar} ${text}`;
  }
}

/** A full-width separator row: `──── label ────`. */
export function separator(label: string, width: number, t: Theme, color: 'cyan' | 'red' | 'yellow' = 'cyan'): string {
  const l = truncate(` ${label} `, Math.max(1, width - 4));
  const side = Math.max(0, width - cellWidth(l));
  return t.paint(color, '─'.repeat(Math.floor(side / 2)) + l + '─'.repeat(Math.ceil(side / 2)));
}

/**
 * All rows of message `i` of `msgs`, including the day separator (first message of a local day)
 * and the "new messages" line (at `firstUnread`) before it.
 */
export function rowsOf(msgs: readonly StoredMessage[], i: number, firstUnread: number, o: LayoutOptions, cache: RowCache = rowCache): string[] {
  const m = msgs[i];
  if (!m) return [];
  const prev = i > 0 ? msgs[i - 1] : undefined;
  const newDay = prev === undefined || localDay(prev.ts) !== localDay(m.ts);
  const isFirstUnread = i === firstUnread;
  const grouped = !newDay && !isFirstUnread && isGrouped(prev, m);
  const lines = messageLines(m, grouped, o, cache);
  if (!newDay && !isFirstUnread) return lines;
  const out: string[] = [];
  if (newDay) out.push(separator(dayLabel(m.ts), o.width, o.theme, 'cyan'));
  if (isFirstUnread) out.push(separator('new messages', o.width, o.theme, 'red'));
  return out.concat(lines);
}
