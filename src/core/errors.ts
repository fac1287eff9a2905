import type { ErrorCode } from './events.js';

/**
 * The one error type that crosses the connector boundary. `code` is a contract error code
 * (../shared/conformance/README.md); `message` is one line, sanitised, and never contains a secret.
 * `retryable` says whether a reconnect/resend may succeed (auth, forbidden, not_found, read_only: no).
 * `retryAfterMs` is set for rate limits when the server said how long to wait.
 */
export class ChatError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ChatError';
    this.code = code;
    this.retryable = opts.retryable ?? (code === 'network' || code === 'rate_limited' || code === 'protocol');
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Exit code of the contract for an error: 2 for bad usage/config (`UsageError`), otherwise 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Turns anything thrown into a ChatError (network errors, aborts, unknown throws) without leaking stacks. */
export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return new ChatError('network', `${code.toLowerCase()}: ${err.message.split('\n')[0]}`);
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return new ChatError('network', 'request timed out');
    return new ChatError('network', err.message.split('\n')[0] ?? 'error');
  }
  return new ChatError('network', String(err));
}
