/**
 * Sanitising of remote text at the boundary (issue 3 §2, issue 7 "Hostile input").
 * Every string that comes from the network (names, texts, room names, error texts) goes through
 * `sanitize` once, in the connector, before it is emitted. What is removed:
 * - ESC-introduced sequences: CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST), DCS/SOS/PM/APC
 *   (`ESC P|X|^|_` … ST), two-byte escapes (`ESC` + one char), and a bare ESC;
 * - 8-bit C1 controls U+0080–U+009F (including CSI U+009B, OSC U+009D, DCS U+0090 with their payloads);
 * - C0 controls other than `\n` and `\t` (so NUL, BEL, BS, CR, DEL are gone; `\r\n` becomes `\n`);
 * - bidi overrides/isolates/embeddings (U+202A–U+202E, U+2066–U+2069) and marks U+200E/U+200F/U+061C;
 * - lone UTF-16 surrogates (replaced by U+FFFD).
 */

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

/** Any character `sanitize` removes or changes (C0 except `\n`/`\t`, DEL, C1, bidi controls). */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
/** The same for `sanitizeLine`, which also changes `\n` and `\t`. */
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;

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
  // Fast path: nothing to remove (one precompiled test) and no lone surrogate — the input as it is.
  if (!UNSAFE.test(input) && input.isWellFormed()) return input;
  let s = input.toWellFormed();
  if (!UNSAFE.test(s)) return s;
  s = s.replace(/\r\n/g, '\n');
  s = s.replace(SEQUENCES, '');
  return s.replace(CONTROLS, '').replace(BIDI, '');
}

/** `sanitize` for one-line fields (names, room names, error texts): newlines and tabs become spaces. */
export function sanitizeLine(input: unknown): string {
  // Fast path: a string `UNSAFE_LINE` does not match comes back unchanged.
  if (typeof input === 'string' && !UNSAFE_LINE.test(input) && input.isWellFormed()) return input;
  return sanitize(input).replace(/[\n\t]+/g, ' ');
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
