#!/usr/bin/env node
// Entry point for `npx chat-tui` / `npm i -g chat-tui`: runs the compiled CLI.
// The compile cache (Node >= 22.1) makes later starts faster; it is skipped silently where unsupported.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {
  // not fatal: only a slower start
}
try {
  await import('../dist/cli/main.js');
} catch (err) {
  // A broken or missing build: one line, never a stack trace.
  const text = String((err && err.message) || err).split('\n')[0];
  process.stderr.write(`error: chat-tui could not start (${text}); reinstall it or run: npm run build\n`);
  process.exit(1);
}
