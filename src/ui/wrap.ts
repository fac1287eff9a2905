import stringWidth from './string-width.js';

/**
 * Word wrapping of plain (unstyled, already sanitised) text in terminal cells, measured with
 * string-width 8 — the same version Ink lays out with (../shared/notes/stack.md §6.7). Words (URLs)
 * are kept whole when they fit on a line; a word longer than the width starts on a new line and is
 * broken by graphemes.
 *
 * Every function here returns (and measures) text in its {@link terminalForm}: emoji sequences that
 * terminals draw at different widths are drawn as their parts, so that Ink's measure, the terminals
 * that join sequences and the ones that do not all agree, and a mismatch can never push a row past
 * the edge (where the terminal would wrap it and cut the end of the line).
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A text holds nothing {@link terminalForm} changes unless it has one of these (ZWJ, VS15/VS16, the keycap mark, a skin tone). */
const SEQUENCE_PARTS = /[\u200d\ufe0e\ufe0f\u20e3]|\ud83c[\udffb-\udfff]/;
const KEYCAP = /([0-9#*])\ufe0f?\u20e3/g;
const PRESENTATION_SELECTORS = /[\ufe0e\ufe0f]/g;
const TONE_AFTER_BASE = /(\p{Emoji_Modifier_Base})\p{Emoji_Modifier}/gu;
const ZWJ_BETWEEN_PICTOGRAPHS = /(\p{Extended_Pictographic})\u200d(?=\p{Extended_Pictographic})/gu;

/**
 * `s` as the TUI draws it. Terminals disagree about emoji sequences: those that join them (kitty,
 * WezTerm, Ghostty, iTerm2, Windows Terminal) draw 👨‍👩‍👧‍👦 in 2 cells, 👍🏽 in 2 and ❤️ or 1️⃣ in 2;
 * those that draw code point by code point (xterm, tmux, VTE, Alacritty, Konsole) need 8, 4, 1 and 1.
 * Ink lays out by the first measure, so on the second kind a row overflows and the terminal cuts its
 * end. Drawn as their parts — VS15/VS16 dropped, a skin tone after its base dropped, a ZWJ between
 * two pictographs dropped, a keycap drawn as its character — every terminal and Ink agree:
 * 👨👩👧👦 is 8 cells, 👍 2, ❤ 1, 1 1. Flags, tag sequences (🏴󠁧󠁢󠁳󠁣󠁴󠁿) and CJK are left as they are
 * (all agree).
 * The stored text and the headless output keep the sequences; this is display only. Idempotent.
 */
export function terminalForm(s: string): string {
  if (!SEQUENCE_PARTS.test(s)) return s;
  return s.replace(KEYCAP, '$1').replace(PRESENTATION_SELECTORS, '').replace(TONE_AFTER_BASE, '$1').replace(ZWJ_BETWEEN_PICTOGRAPHS, '$1');
}

/** Cell width of plain text as the TUI draws it ({@link terminalForm}). */
export function cellWidth(s: string): number {
  return stringWidth(terminalForm(s));
}

/** Cuts plain text to at most `width` cells (by graphemes), appending `…` when cut; returns its {@link terminalForm}. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const s = terminalForm(text);
  if (stringWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(s)) {
    const sw = stringWidth(segment);
    if (w + sw > width - 1) break;
    out += segment;
    w += sw;
  }
  return `${out}…`;
}

/** Pads plain text with spaces to `width` cells (on the left when `right` is true). */
export function pad(text: string, width: number, right = false): string {
  const s = terminalForm(text);
  const n = Math.max(0, width - stringWidth(s));
  return right ? ' '.repeat(n) + s : s + ' '.repeat(n);
}

/** Breaks one over-long word into chunks of at most `width` cells. */
function breakWord(word: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  let w = 0;
  for (const { segment } of segmenter.segment(word)) {
    const sw = stringWidth(segment);
    if (w + sw > width && cur) {
      out.push(cur);
      cur = '';
      w = 0;
    }
    cur += segment;
    w += sw;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Wraps plain text to `width` cells (≥ 1). Newlines start new lines; tabs become spaces; spaces
 * at a wrap point are dropped. Returns at least one line (possibly empty), in {@link terminalForm}.
 */
export function wrapPlain(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const para of terminalForm(text).replace(/\t/g, '    ').split('\n')) {
    let line = '';
    let lw = 0;
    const tokens = para.split(/( +)/);
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i] ?? '';
      if (!tok) continue;
      const tw = stringWidth(tok);
      if (tok.startsWith(' ')) {
        // Spaces: keep inside a line, drop at a wrap point.
        if (lw + tw <= w) {
          line += tok;
          lw += tw;
        } else {
          out.push(line.trimEnd());
          line = '';
          lw = 0;
        }
        continue;
      }
      if (lw + tw <= w) {
        line += tok;
        lw += tw;
        continue;
      }
      if (tw <= w) {
        if (line.trim()) out.push(line.trimEnd());
        line = tok;
        lw = tw;
        continue;
      }
      // Longer than a whole line: start fresh, break by graphemes.
      if (line.trim()) out.push(line.trimEnd());
      const parts = breakWord(tok, w);
      for (let j = 0; j < parts.length - 1; j++) out.push(parts[j] ?? '');
      line = parts[parts.length - 1] ?? '';
      lw = stringWidth(line);
    }
    out.push(line.trimEnd());
  }
  return out.length ? out : [''];
}
