#!/usr/bin/env node
// Entry point for `npx chat-tui` / `npm i -g chat-tui`: runs the compiled CLI.
// The compile cache (Node >= 22.1) makes later starts faster; it is skipped silently where unsupported.
// It lives in Node's default place (os.tmpdir()/node-compile-cache, or $NODE_COMPILE_CACHE), keyed by
// Node version and file content, so an installed package and a clone both use it.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {
  // not fatal: only a slower start
}

try {
  // Ink's one es-toolkit import without the ~415 modules of the toolkit's entry (see the hook's file).
  (await import('./ink-throttle-hook.js')).installInkThrottleHook();
} catch {
  // not fatal: only a slower start
}
try {
  // Ink's string widths without Intl.Segmenter for box-drawing and punctuation (see the hook's file).
  (await import('./ink-width-hook.js')).installInkWidthHook();
} catch {
  // not fatal: only a slower TUI
}
try {
  await import('../dist/cli/main.js');
} catch (err) {
  // A broken or missing build: one line, never a stack trace.
  const text = String((err && err.message) || err).split('\n')[0];
  process.stderr.write(`error: chat-tui could not start (${text}); reinstall it or run: npm run build\n`);
  process.exit(1);
}
