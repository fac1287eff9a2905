/**
 * Sanitising of remote text at the boundary. Every string that comes from the network (names, texts,
 * room names, error texts) goes through `sanitize` once, in the connector, before it is emitted; the
 * TUI and the headless output both show what it returns. What is removed or changed:
 * - ESC-introduced sequences: CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST), DCS/SOS/PM/APC
 *   (`ESC P|X|^|_` … ST), two-byte escapes (`ESC` + one char), and a bare ESC;
 * - 8-bit C1 controls U+0080–U+009F (including CSI U+009B, OSC U+009D, DCS U+0090 with their payloads);
 * - C0 controls other than `\n` and `\t` (so NUL, BEL, BS, CR, DEL are gone; `\r\n` becomes `\n`);
 * - bidi overrides/isolates/embeddings (U+202A–U+202E, U+2066–U+2069) and marks U+200E/U+200F/U+061C;
 * - lone UTF-16 surrogates (replaced by U+FFFD);
 * - LINE SEPARATOR U+2028 and PARAGRAPH SEPARATOR U+2029 become a space (terminals draw them as
 *   nothing while width tables count one column);
 * and what is bounded (rendering cost must not grow with invisible characters):
 * - a grapheme keeps at most {@link MAX_MARKS_PER_GRAPHEME} combining marks and at most
 *   {@link MAX_GRAPHEME_CODE_POINTS} code points (a letter with 100,000 marks is one cell that a
 *   terminal would be sent whole on every frame);
 * - a line (between newlines) keeps at most {@link MAX_LINE_CHARS} UTF-16 units, cut with `…`.
 */

/**
 * Combining marks kept per grapheme. Terminals keep a few too (xterm: 2 by default, at most 10);
 * 8 is more than any script needs (Hebrew with points and cantillation, Tibetan stacks, Vietnamese).
 */
export const MAX_MARKS_PER_GRAPHEME = 8;

/** Code points kept per grapheme: the longest emoji sequences (a family with skin tones) have 11. */
export const MAX_GRAPHEME_CODE_POINTS = 32;

/** UTF-16 units kept per line of text (about 100 rows of an 80-column pane). */
export const MAX_LINE_CHARS = 8192;

// One left-to-right pass over the escape sequences, as a VT500-style parser would see them:
// - string sequences OSC/DCS/SOS/PM/APC (7-bit `ESC ] P X ^ _` or 8-bit U+009D/0090/0098/009E/009F):
//   the payload runs until BEL, ST (`ESC \` or U+009C), CAN/SUB (abort) or any other ESC, which starts
//   the next sequence (so `ESC ] … ESC [2J` is two sequences), or the end of the string;
// - CSI (`ESC [` or U+009B): parameter bytes, intermediate bytes, an optional final byte;
// - any other escape: ESC + intermediates + an optional final byte, or a bare ESC.
// A single alternation matters: removing one kind first can glue an earlier ESC to the text after it
// (`ESC ESC [2J x` must leave `x`).
const SEQUENCES =
  /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c\u0018\u001a]*(?:\u0007|\u001b\\|\u009c|\u0018|\u001a)?|(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// Remaining controls: C0 except \t \n, DEL, C1.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Any character `sanitize` removes or changes (C0 except `\n`/`\t`, DEL, C1, bidi controls, U+2028/U+2029). */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** The same for `sanitizeLine`, which also changes `\n` and `\t`. */
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** Any character from U+0300 on: every extender is there, so a text without one (ASCII, Latin-1) needs no look. */
const BEYOND_LATIN1 = /[\u0300-\uffff]/;
/**
 * A necessary sign of a grapheme over the caps: 9+ extenders in a row, 8+ joins in a row (emoji ZWJ
 * chains, Indic conjunct chains: a joiner then one or two code points), or 9+ leading Hangul jamo.
 * Texts it matches are segmented (rarely: it does not match ordinary text in any script).
 */
const LONG_GRAPHEME =
  /[\p{M}\u200c\u200d\u1160-\u11ff\ud7b0-\ud7ff\u{E0020}-\u{E007F}\u{1F3FB}-\u{1F3FF}]{9}|(?:[\u200d\p{Mn}][^\s\u200d\p{Mn}]{1,2}){8}|[\u1100-\u115f\ua960-\ua97f]{9}/u;
const MARK = /\p{M}/u;

let segmenter: Intl.Segmenter | undefined;

/**
 * `s` with every grapheme cut to {@link MAX_MARKS_PER_GRAPHEME} marks and
 * {@link MAX_GRAPHEME_CODE_POINTS} code points (the base and what follows it, in order).
 */
function capGraphemes(s: string): string {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let out = '';
  for (const { segment } of segmenter.segment(s)) {
    if (segment.length <= MAX_MARKS_PER_GRAPHEME) {
      out += segment;
      continue;
    }
    let marks = 0;
    let points = 0;
    for (const cp of segment) {
      if (points >= MAX_GRAPHEME_CODE_POINTS) break;
      if (MARK.test(cp)) {
        if (marks >= MAX_MARKS_PER_GRAPHEME) continue;
        marks++;
      }
      points++;
      out += cp;
    }
  }
  return out;
}

/** `s` with each line cut to {@link MAX_LINE_CHARS} (see `ellipsize`). */
function capLines(s: string): string {
  if (s.length <= MAX_LINE_CHARS) return s;
  return s
    .split('\n')
    .map((line) => ellipsize(line, MAX_LINE_CHARS))
    .join('\n');
}

/** Whether `s` may hold a grapheme over the caps (cheap for ASCII/Latin-1 texts; about 1 µs for others). */
function longGraphemes(s: string): boolean {
  return BEYOND_LATIN1.test(s) && LONG_GRAPHEME.test(s);
}

/** The caps of the module doc applied to already cleaned text. */
function applyCaps(s: string): string {
  const capped = longGraphemes(s) ? capGraphemes(s) : s;
  return capLines(capped);
}

/**
 * Returns `input` with terminal control sequences, controls and bidi formatting removed.
 * `null`/`undefined` → ''; other non-strings are converted with `String()` first ('' if that throws).
 */
export function sanitize(input: unknown): string {
  if (typeof input !== 'string') {
    if (input === undefined || input === null) return '';
    try {
      return sanitize(String(input));
    } catch {
      return '';
    }
  }
  // Fast path: nothing to remove (one precompiled test), no lone surrogate, nothing over the caps — the input as it is.
  if (!UNSAFE.test(input) && input.isWellFormed()) return applyCaps(input);
  let s = input.toWellFormed();
  if (!UNSAFE.test(s)) return applyCaps(s);
  s = s.replace(/\r\n/g, '\n');
  s = s.replace(SEQUENCES, '');
  return applyCaps(s.replace(CONTROLS, '').replace(BIDI, '').replace(/[\u2028\u2029]/g, ' '));
}

/** `sanitize` for one-line fields (names, room names, error texts): newlines, tabs, U+2028/U+2029 become spaces. */
export function sanitizeLine(input: unknown): string {
  // Fast path: a string `UNSAFE_LINE` does not match comes back unchanged (but capped).
  if (typeof input === 'string' && !UNSAFE_LINE.test(input) && input.isWellFormed()) return applyCaps(input);
  return ellipsize(sanitize(input).replace(/[\n\t]+/g, ' '), MAX_LINE_CHARS);
}

/**
 * `s` cut to at most `max` UTF-16 code units, ending in `…` when cut (never splitting a surrogate pair).
 * For echoing text of unbounded length (a command-line word, a stored room id) in one readable line.
 */
export function ellipsize(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** The longest run of non-space characters `clipWords` leaves whole (a long https URL still fits). */
export const MAX_ECHOED_WORD = 120;

/**
 * `line` with every run of non-space characters longer than `max` cut by {@link ellipsize}: an error
 * that quotes what it was given (an unknown command, a bad option value) stays one short line however
 * long the given word was.
 */
export function clipWords(line: string, max = MAX_ECHOED_WORD): string {
  if (line.length <= max) return line;
  return line.replace(/\S+/g, (w) => ellipsize(w, max));
}
