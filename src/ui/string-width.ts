import stringWidth from 'string-width';

/**
 * Characters that are one column each on their own and next to each other, exactly as string-width 8
 * counts them (each its own grapheme, East Asian Width narrow or ambiguous-as-narrow, no emoji
 * presentation; checked code point by code point in test/cli/ink-width.test.ts): printable ASCII,
 * Latin-1 but the soft hyphen, general punctuation (U+2010–U+2027, U+2030–U+205E), arrows, box drawing,
 * block elements and geometric shapes but ◽ ◾ (U+25FD, U+25FE: emoji, two columns).
 */
const NARROW = /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u00ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u25fc\u25ff]*$/;
/** SGR sequences (colours, bold …), the only escapes in Ink's output lines; string-width removes them too. */
const SGR = /\u001b\[[0-9;:]*m/g;

/**
 * `stringWidth(input, options)` of string-width 8 (terminal cells), the same result, faster for text of
 * {@link NARROW} characters with or without SGR sequences: its length. string-width takes its fast path
 * only for printable ASCII; a row with one `│`, `›`, `…` or `—` goes through Intl.Segmenter and the
 * emoji and East Asian Width tables character by character (30 % of the TUI's CPU under a flood, and
 * most of the first frame's string measuring). Anything else, and any call with options, is
 * string-width's own. Ink gets it too, through bin/ink-width-hook.js.
 */
export default function fastStringWidth(input: string, options?: Parameters<typeof stringWidth>[1]): number {
  if (options === undefined && typeof input === 'string') {
    if (NARROW.test(input)) return input.length;
    if (input.includes('\u001b')) {
      const plain = input.replace(SGR, '');
      if (!plain.includes('\u001b') && NARROW.test(plain)) return plain.length;
    }
  }
  return stringWidth(input, options);
}
