import type { Capabilities } from '../connector.js';

/**
 * The send policy: whether a text may be sent on a profile at all, decided from its capabilities
 * (`readOnly` + `readOnlyReason`, `maxMessageLength` in graphemes). One rule for the runtime (a
 * refused send is kept failed, with the reason) and the UI (the composer keeps the text and says why).
 */

/** Why a send is refused: `read_only` (the account cannot send) or `too_long`; `reason` is one line for the user. */
export interface SendRefusal {
  code: 'read_only' | 'too_long';
  reason: string;
}

/** The reason shown when a read-only profile gives none. */
export const DEFAULT_READ_ONLY_REASON = 'this account cannot send';

/** The refusal of sending `text` with `caps`, or undefined when it may go out. */
export function sendRefusal(caps: Capabilities | undefined, text: string): SendRefusal | undefined {
  if (!caps) return undefined;
  if (caps.readOnly) return { code: 'read_only', reason: caps.readOnlyReason ?? DEFAULT_READ_ONLY_REASON };
  const max = caps.maxMessageLength;
  if (max !== undefined && text.length > max) {
    const n = graphemeCount(text);
    if (n > max) return { code: 'too_long', reason: `message too long: ${n} characters, the limit is ${max}` };
  }
  return undefined;
}

let segmenter: Intl.Segmenter | undefined;

/** Grapheme count of a text (what services mean by message length). */
export function graphemeCount(text: string): number {
  if (text.length < 64 && /^[\x20-\x7e]*$/.test(text)) return text.length;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
