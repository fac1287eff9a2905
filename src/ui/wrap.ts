import stringWidth from 'string-width';

/**
 * Word wrapping of plain (unstyled, already sanitised) text in terminal cells, measured with
 * string-width 8 — the same version Ink lays out with (../shared/notes/stack.md §6.7), so wide
 * characters (CJK, emoji with ZWJ/VS16) never shift columns. Words (URLs) are kept whole when they
 * fit on a line; a word longer than the width starts on a new line and is broken by graphemes.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cell width of plain text. */
export function cellWidth(s: string): number {
  return stringWidth(s);
}

/** Cuts plain text to at most `width` cells (by graphemes), appending `…` when cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
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
export function pad(s: string, width: number, right = false): string {
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
 * at a wrap point are dropped. Returns at least one line (possibly empty).
 */
export function wrapPlain(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const para of text.replace(/\t/g, '    ').split('\n')) {
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
