// What bin/ink-width-hook.js gives Ink for `string-width`: string-width with a wider fast path, the very
// function the TUI measures its own rows with (src/ui/string-width.ts, built to dist/).
export { default } from '../dist/ui/string-width.js';
