import { sanitizeLine } from '../sanitize.js';

/**
 * WebSocket close codes by which the server says that the client broke the protocol or a policy
 * (RFC 6455 §7.4.1): 1002 protocol error, 1003 unacceptable data, 1007 invalid payload data, 1008
 * policy violation. Retrying at once will be refused the same way: a link backs off to the cap on
 * these, says the server's reason, and stops after a few in a row (see link.ts).
 */
export const PROTOCOL_CLOSE_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008]);

/** RFC 6455 §7.4.1 names of the close codes a user may see. */
const CLOSE_NAMES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unacceptable data',
  1005: 'no status',
  1006: 'connection lost',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1012: 'service restart',
  1013: 'try again later',
};

/**
 * One line for a close: `server closed the socket (1008 policy violation: <reason>)`, the server's
 * reason sanitised and cut to 120 characters; `connection lost (1006)` for a drop without a close frame.
 */
export function describeClose(code: number, reason = ''): string {
  if (code === 1006) return 'connection lost (1006)';
  const name = CLOSE_NAMES[code];
  const why = sanitizeLine(reason).trim().slice(0, 120);
  return `server closed the socket (${code}${name && PROTOCOL_CLOSE_CODES.has(code) ? ` ${name}` : ''}${why ? `: ${why}` : ''})`;
}
