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

// String-terminated sequences: OSC/DCS/SOS/PM/APC, 7-bit (ESC x) or 8-bit (U+0090/98/9D/9E/9F) introducer,
// ended by BEL, ST (ESC \ or U+009C), or end of string.
const STRING_SEQ = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g;
// CSI: ESC [ or U+009B, parameter bytes, intermediate bytes, final byte.
const CSI_SEQ = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
// Other escapes: ESC + intermediates + final, or a bare ESC.
const ESC_SEQ = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// Remaining controls: C0 except \t \n, DEL, C1.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Returns `input` with terminal control sequences, controls and bidi formatting removed. Non-strings → ''. */
export function sanitize(input: unknown): string {
  if (typeof input !== 'string') return input === undefined || input === null ? '' : sanitize(String(input));
  let s = input.toWellFormed();
  if (!/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/.test(s)) return s;
  s = s.replace(/\r\n/g, '\n');
  s = s.replace(STRING_SEQ, '').replace(CSI_SEQ, '').replace(ESC_SEQ, '');
  return s.replace(CONTROLS, '').replace(BIDI, '');
}

/** `sanitize` for one-line fields (names, room names, error texts): newlines and tabs become spaces. */
export function sanitizeLine(input: unknown): string {
  return sanitize(input).replace(/[\n\t]+/g, ' ');
}
