import { CommanderError } from 'commander';
import { redactError, redactLines } from '../config/secrets.js';
import { ChatError, UsageError } from '../core/errors.js';
import { clipWords, sanitizeLine } from '../core/sanitize.js';

/**
 * Output of the command line (conformance README "command-line contract"): results on stdout, errors as
 * one line on stderr, never a stack trace, never a secret. Every line goes through `redact()` (known
 * secrets → `***`) as a last line of defence.
 */

/** Lines printed in this turn of the event loop, not yet redacted (see `flushStdout`). */
let pending = '';
let scheduled = false;

/** Redacts what was printed since the last flush and hands it to `sink.stdout` in one piece. */
export function flushStdout(): void {
  scheduled = false;
  if (!pending) return;
  const s = pending;
  pending = '';
  sink.stdout(redactLines(s));
}

/**
 * stdout is batched: lines written in one turn of the event loop go out in one write (a flood of
 * `tail --json` lines costs one syscall per batch, not per line), and are redacted as one text (one
 * search per secret spelling per batch, not per line). A batch goes out at 64 KiB or on the next turn;
 * writes to a pipe or file are synchronous on Linux (Node's process.stdout), so a slow reader holds the
 * process back (backpressure) instead of output piling up in memory.
 */
function queue(s: string): void {
  pending += s;
  if (pending.length >= 1 << 16) flushStdout();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushStdout);
  }
}

/**
 * Where output goes, already redacted: tests replace these to capture what a command prints in-process.
 * `flushOutput` (or `flushStdout`) empties the stdout batch into `sink.stdout`.
 */
export const sink = {
  stdout: (s: string): void => {
    process.stdout.write(s);
  },
  stderr: (s: string): void => {
    process.stderr.write(s);
  },
};

/** Writes one line to stdout (a newline is added). */
export function out(line: string): void {
  queue(line + '\n');
}

/**
 * Writes one line to stderr (newlines inside are folded, so it stays one line; secrets and credentials
 * after `Bearer` are redacted; an over-long word it quotes is then cut with "…").
 */
export function errLine(line: string): void {
  sink.stderr(clipWords(redactError(line.replace(/\s*\n\s*/g, ' ').trimEnd())) + '\n');
}

/** Writes an already serialised NDJSON line (no newline) to stdout. */
export function jsonLineOut(line: string): void {
  queue(line + '\n');
}

/** Writes one NDJSON line (a JSON object) to stdout. */
export function jsonOut(value: unknown): void {
  queue(JSON.stringify(value) + '\n');
}

/** Exit codes of the contract: 0 ok, 1 the work failed, 2 bad usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Thrown by a command to end with an exit code after it has printed what it had to say. */
export class ExitCode extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.name = 'ExitCode';
    this.code = code;
  }
}

/** The one-line text of an error for stderr: `error (code): message` for ChatError, `error: message` otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof ChatError) return `error (${err.code}): ${firstLine(err.message)}`;
  if (err instanceof UsageError) return `error: ${firstLine(err.message)}`;
  if (err instanceof Error) return `error: ${firstLine(err.message) || err.name}`;
  return `error: ${firstLine(String(err))}`;
}

function firstLine(s: string): string {
  return sanitizeLine(s.split('\n')[0] ?? '').slice(0, 1000);
}

/**
 * Maps anything thrown by the program to an exit code, printing one line on stderr where needed:
 * commander's help/version → 0 (already printed); other CommanderErrors → 2 (commander printed the line);
 * ExitCode → its code; UsageError → 2; ChatError → 1; anything else → 1.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ExitCode) return err.code;
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT_OK;
    return EXIT_USAGE;
  }
  errLine(describeError(err));
  if (err instanceof UsageError) return EXIT_USAGE;
  return EXIT_FAIL;
}

/** Resolves once stdout and stderr have flushed what was written (so `process.exit` loses nothing). */
export function flushOutput(): Promise<void> {
  flushStdout();
  const flush = (s: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => {
      if (s.destroyed || !s.writable) return resolve();
      s.write('', () => resolve());
    });
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => undefined);
}
