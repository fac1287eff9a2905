/**
 * Frames as a terminal receives them. Ink wraps each frame it writes to a TTY in the synchronized-output
 * markers BSU `ESC[?2026h` … ESU `ESC[?2026l` (ink/build/write-synchronized.js), so a frame is what lies
 * between them; output outside the markers (alternate-screen switch, a frame of a non-synchronising
 * renderer) counts as a frame of its own. Only frames with content are reported.
 */
import { stripAnsi, type PtyChunk } from './proc.js';

const BSU = '\u001b[?2026h';
const ESU = '\u001b[?2026l';

/** One frame: `at` is when its last byte arrived (`performance.now()` ms), `text` the raw bytes. */
export interface Frame {
  at: number;
  text: string;
  /** `text` without control sequences (what a search for on-screen text needs). */
  plain(): string;
}

/** Splits pty output into frames; `push` each chunk in order, get frames through `onFrame`. */
export class FrameSplitter {
  private buf = '';
  private inside = false;
  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(c: PtyChunk): void {
    let text = this.buf + c.text;
    this.buf = '';
    for (;;) {
      if (!this.inside) {
        const b = text.indexOf(BSU);
        if (b < 0) {
          // Keep a possible partial marker for the next chunk.
          const keep = partialSuffix(text, BSU);
          const out = text.slice(0, text.length - keep);
          if (out.length) this.frame(c.at, out);
          this.buf = text.slice(text.length - keep);
          return;
        }
        if (b > 0) this.frame(c.at, text.slice(0, b));
        text = text.slice(b + BSU.length);
        this.inside = true;
      }
      const e = text.indexOf(ESU);
      if (e < 0) {
        this.buf = text;
        return;
      }
      this.frame(c.at, text.slice(0, e));
      text = text.slice(e + ESU.length);
      this.inside = false;
    }
  }

  private frame(at: number, text: string): void {
    if (!text.length) return;
    let plain: string | undefined;
    this.onFrame({ at, text, plain: () => (plain ??= stripAnsi(text)) });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (text.endsWith(marker.slice(0, n))) return n;
  return 0;
}
