import { ChatError } from '../core/errors.js';

/**
 * Reads a `fetch` response body as UTF-8 text, up to `limit` bytes (issue 7 "Oversized input is
 * bounded"): a longer body is cancelled and ChatError `protocol` (not retryable) is thrown, naming the
 * limit in MiB (or KiB below 1 MiB). A response without a body is ''. Shared by the connectors' REST code.
 */
export async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      const MiB = 1024 * 1024;
      const shown = limit >= MiB ? `${Math.round(limit / MiB)} MiB` : `${Math.round(limit / 1024)} KiB`;
      throw new ChatError('protocol', `the server's answer is larger than ${shown}`, { retryable: false });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
