#!/usr/bin/env node
// Entry point for `npx chat-tui` / `npm i -g chat-tui`: runs the compiled CLI.
// The compile cache (Node >= 22.1) makes later starts faster; it is skipped silently where unsupported.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {
  // not fatal: only a slower start
}
await import('../dist/cli/main.js');
