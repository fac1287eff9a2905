import { boundYoungGeneration } from '../core/heap.js';
import { describeError, errLine, flushOutput, flushStdout } from './io.js';
import { run } from './program.js';

/**
 * Entry point of `chat-tui` (bin/chat-tui.js imports the compiled file). Runs the commander program and
 * exits with the contract's code: 0 ok, 1 failed, 2 bad usage/config. Nothing ever prints a stack trace:
 * uncaught errors become one redacted line and exit 1.
 */

function fatal(err: unknown): void {
  try {
    flushStdout();
    errLine(describeError(err));
  } catch {
    // nothing more we can do
  }
  process.exit(1);
}

// Memory policy for every command: a young generation of at most 8 MiB (src/core/heap.ts).
boundYoungGeneration();

process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// `chat-tui tail | head`: a closed pipe ends quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  fatal(err);
});
process.stderr.on('error', () => {});

const code = await run(process.argv.slice(2));
await flushOutput();
// Connectors may leave sockets or timers behind after a one-shot command; the exit code is final.
process.exit(code);
