/**
 * A pty-hosted program seen as frames (lib/frames.ts): listeners per frame, and a wait for the screen to
 * go quiet. Used for chat-tui and WeeChat alike, so both are watched the same way.
 */
import { FrameSplitter, type Frame } from './frames.js';
import type { PtyProcess } from './proc.js';

/** A program in a pty, its output split into frames. */
export interface PtyHost {
  pty: PtyProcess;
  /** Every frame so far when `keepFrames`, else empty. */
  frames: Frame[];
  onFrame(l: (f: Frame) => void): () => void;
  write(keys: string): void;
  /** Resolves once no frame came for `quietMs` (bounded by `maxMs`). */
  settle(quietMs: number, maxMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Watches `pty`'s output as frames; `keepFrames` false keeps none (long runs). */
export function hostPty(pty: PtyProcess, keepFrames = true): PtyHost {
  const frames: Frame[] = [];
  const listeners = new Set<(f: Frame) => void>();
  let lastFrameAt = performance.now();
  const splitter = new FrameSplitter((f) => {
    lastFrameAt = f.at;
    if (keepFrames) frames.push(f);
    for (const l of listeners) l(f);
  });
  pty.onData((c) => splitter.push(c));
  return {
    pty,
    frames,
    onFrame(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    write: (keys) => pty.write(keys),
    async settle(quietMs, maxMs) {
      const deadline = performance.now() + maxMs;
      while (performance.now() < deadline && performance.now() - lastFrameAt < quietMs) await sleep(20);
    },
    stop: () => pty.stop(),
  };
}
