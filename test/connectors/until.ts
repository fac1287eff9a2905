/**
 * Polls `cond` every 10 ms until it holds; throws `timed out waiting for <what>` after `ms` milliseconds.
 * Shared by the connectors' runtime tests.
 */
export async function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
