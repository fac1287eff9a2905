import type { TuiBenchContext } from './tui.js';
/** scrollback_frame_ratio (in-process): filled in once the TUI's MessagePane lands. */
export async function benchScrollbackInProcess(_c: TuiBenchContext): Promise<void> {
  throw new Error('MessagePane not available yet');
}
