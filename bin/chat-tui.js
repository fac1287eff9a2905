#!/usr/bin/env node
// Entry point for `npx chat-tui` / `npm i -g chat-tui`: runs the compiled CLI.
import '../dist/cli/main.js';
