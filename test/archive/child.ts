/**
 * A second (third, …) chat-tui process for the archive tests: opens the archive of a directory like the
 * app does and works on it. Commands:
 * - `queue DIR PROFILE N TAG`: queues N sends (each committed before the next) then quits (release);
 * - `queue-and-hang DIR PROFILE TAG`: queues one send, prints `queued TXN`, then waits to be killed;
 * - `runtime-send-and-hang DIR [URL]`: the TUI's runtime and archive; sends once (as Enter does), prints `sent TXN STATUS NOTICES`, waits;
 * - `record-and-hang DIR N`: records N messages, flushes, prints `flushed`, records one more and waits.
 */
import { join } from 'node:path';
import { Archive } from '../../src/core/archive/index.js';

const [cmd, dir, ...rest] = process.argv.slice(2);
if (!cmd || !dir) throw new Error('usage: child.ts CMD DIR …');
const archive = Archive.open(join(dir, 'archive.db'));
const entry = (txnId: string, profile: string) => ({
  txnId,
  profile,
  room: 'general',
  text: `send ${txnId}`,
  time: new Date().toISOString(),
  status: 'queued' as const,
  attempts: 0,
  rateLimited: 0,
});

if (cmd === 'queue') {
  const [profile = 'work', n = '10', tag = 'x'] = rest;
  const outbox = archive.outbox({ profiles: [profile] });
  outbox.load();
  for (let i = 0; i < Number(n); i++) {
    if (!outbox.add(entry(`${tag}-${i}`, profile))) throw new Error(`add ${tag}-${i} failed`);
  }
  outbox.release();
  archive.close();
} else if (cmd === 'queue-and-hang') {
  const [profile = 'work', tag = 'x'] = rest;
  const outbox = archive.outbox({ profiles: [profile], leaseMs: 200 });
  outbox.load();
  outbox.add(entry(`${tag}-hang`, profile));
  process.stdout.write(`queued ${tag}-hang\n`);
  setInterval(() => undefined, 1000);
} else if (cmd === 'runtime-send-and-hang') {
  // The TUI's wiring (openAppArchive + ChatRuntime) with the real chatapi connector and its server not
  // there: what Enter does (runtime.send), then `sent`, then waiting to be killed.
  archive.close();
  const { openAppArchive, ARCHIVE_DEFAULTS } = await import('../../src/core/archive/index.js');
  const { ChatRuntime } = await import('../../src/core/runtime/index.js');
  const { getConnector } = await import('../../src/connectors/index.js');
  const [url = 'http://127.0.0.1:9'] = rest;
  const notices: string[] = [];
  let rt: InstanceType<typeof ChatRuntime> | undefined;
  const app = openAppArchive({ dir, settings: ARCHIVE_DEFAULTS, profiles: ['work'], notice: (l) => notices.push(l), adopt: (es) => rt?.adoptOutbox(es), env: { CHAT_TUI_CONFIG_DIR: dir } });
  rt = new ChatRuntime({
    profiles: [{ name: 'work', service: 'chatapi', url, token: 'key', rooms: ['general'], userId: 'me', userName: 'Me' }],
    getConnector,
    resolveToken: async () => 'key',
    saveProfile: async () => undefined,
    ...(app.outbox ? { outbox: app.outbox } : {}),
    ...(app.history ? { archive: app.history } : {}),
  });
  void rt.start();
  const { roomKey } = await import('../../src/core/state.js');
  const txn = rt.send(roomKey('work', 'general'), 'sent just before kill -9');
  const echo = rt.store.getState().rooms[roomKey('work', 'general')]?.messages.find((m) => m.txnId === txn);
  process.stdout.write(`sent ${txn} ${echo?.status ?? 'none'} ${notices.length}\n`);
  setInterval(() => undefined, 1000);
} else if (cmd === 'record-worker-exit') {
  // Records on the writer thread, then exits at once: the exit listener writes what the thread has not confirmed.
  const n = Number(rest[0] ?? '10');
  const w = Archive.open(join(dir, 'worker.db'), { worker: true });
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 1; i <= n; i++) {
    w.record({ type: 'message', profile: 'work', room: 'general', id: String(i), author: { id: 'u', name: 'U' }, text: `m${i}`, time: new Date(t0 + i).toISOString() });
    if (i % 1000 === 0) w.flush();
  }
  setImmediate(() => process.exit(0));
} else if (cmd === 'record-and-hang') {
  const n = Number(rest[0] ?? '10');
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const msg = (i: number) => ({ type: 'message' as const, profile: 'work', room: 'general', id: String(i), author: { id: 'u', name: 'U' }, text: `m${i}`, time: new Date(t0 + i).toISOString() });
  for (let i = 1; i <= n; i++) archive.record(msg(i));
  archive.flush();
  archive.record(msg(n + 1));
  process.stdout.write('flushed\n');
  setInterval(() => undefined, 1000);
}
