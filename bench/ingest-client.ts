/**
 * One side of the `ingest_ratio` figure, run as its own process by bench/run.ts so that the server
 * (in the bench process) and the client do not share an event loop.
 *
 *   node --import tsx bench/ingest-client.ts raw       URL ROOM TOKEN COUNT
 *   node --import tsx bench/ingest-client.ts connector URL ROOM TOKEN COUNT
 *   node --import tsx bench/ingest-client.ts store     URL ROOM TOKEN COUNT
 *
 * `raw`: a bare `ws` client that `JSON.parse`s every frame and counts `message` frames (the baseline).
 * `connector`: the chatapi connector session feeding a SessionStore (default options) and the local
 * archive (src/core/archive, in a fresh temporary file, default batching), as the TUI's runtime does
 * (src/core/runtime/archive.ts: every event the store applies is recorded) — the path every message of
 * the app takes, the archive written on its writer thread as in the TUI; the clock stops once the archive
 * has committed the COUNT-th message (`storedMs`: when it was in the store; `cpuMs`: main-thread CPU). `store`: the same
 * without the archive (to tell the archive's share apart). All print one JSON line
 * `{"mode","count","ms","rate"}`: `ms` from the first message to the COUNT-th, `rate` messages per second.
 *
 * The connector side runs with the memory policy every chat-tui command runs with (src/cli/main.ts:
 * `boundYoungGeneration`, a young generation of at most 8 MiB, src/core/heap.ts), so the figure is that
 * of the app's own configuration; the raw side stays a bare `ws` client (the cap measured no different
 * for it: its heap does not grow).
 */
import WebSocket from 'ws';
import type { ChatEvent, ConnectorEvent } from '../src/core/events.js';

const [mode, url, room, token, countText] = process.argv.slice(2);
const count = Number(countText);
if (!mode || !url || !room || !token || !(count > 0)) {
  process.stderr.write('usage: ingest-client.ts raw|connector URL ROOM TOKEN COUNT\n');
  process.exit(2);
}

let first = 0;
let seen = 0;
/** This (main) thread's CPU time in ms (process.threadCpuUsage, Node ≥ 23.9), or NaN. */
const threadCpuMs = (): number => {
  const u = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.();
  return u ? (u.user + u.system) / 1000 : Number.NaN;
};
let cpuAtFirst = 0;
/** Lets the archive (connector mode) write what it still holds; resolves once it is committed. */
let closeArchive: (() => Promise<unknown>) | undefined;
const finish = (): void => {
  // `storedMs`: the COUNT-th message is in the store; `ms` (the figure): it is also in the archive.
  const storedMs = performance.now() - first;
  const cpuMs = threadCpuMs() - cpuAtFirst;
  const done = (): void => {
    const ms = performance.now() - first;
    process.stdout.write(`${JSON.stringify({ mode, count: seen, ms, rate: (seen / ms) * 1000, storedMs, cpuMs })}\n`);
    process.exit(0);
  };
  if (!closeArchive) return done();
  void closeArchive().then(done);
};
setTimeout(() => {
  process.stderr.write(`ingest-client ${mode}: timed out after ${seen} messages\n`);
  process.exit(1);
}, 120_000).unref();

if (mode === 'raw') {
  const wsUrl = `${url.replace(/^http/, 'ws')}/ws/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}&user_id=bench_me&user_name=Bench`;
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type?: string };
    if (frame.type !== 'message') return;
    if (seen++ === 0) first = performance.now();
    if (seen === count) finish();
  });
  ws.on('error', (e) => {
    process.stderr.write(`raw client: ${e.message}\n`);
    process.exit(1);
  });
} else {
  // Imported here so that the raw baseline loads none of the app.
  const { boundYoungGeneration } = await import('../src/core/heap.js');
  boundYoungGeneration();
  const { getConnector } = await import('../src/connectors/index.js');
  const { SessionStore } = await import('../src/core/store/index.js');
  const def = getConnector('chatapi');
  if (!def) throw new Error('no chatapi connector');
  const store = new SessionStore();
  let archive: { record(ev: ChatEvent): void; flush(): boolean } | undefined;
  if (mode === 'connector') {
    const { Archive } = await import('../src/core/archive/index.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    // As the TUI opens it (src/core/archive/app.ts): batches written on the archive's writer thread.
    const opened = Archive.open(join(mkdtempSync(join(tmpdir(), 'chat-tui-bench-archive-')), 'archive.db'), { worker: true });
    // The thread starts before the stream (in the TUI it starts with the first batch, long before a flood).
    await opened.startWriter();
    archive = opened;
    closeArchive = () => opened.closeAsync();
  }
  const profile = { name: 'bench', service: 'chatapi', url, token, rooms: [room], userId: 'bench_me', userName: 'Bench' };
  store.addProfile('bench', 'chatapi', def.capabilities);
  const session = def.create({
    profile,
    token,
    emit(ev: ConnectorEvent) {
      const full = { ...ev, profile: 'bench' } as ChatEvent;
      store.apply(full);
      archive?.record(full);
      if (full.type === 'message') {
        if (seen++ === 0) {
          first = performance.now();
          cpuAtFirst = threadCpuMs();
        }
        if (seen === count) {
          void session.disconnect();
          finish();
        }
      }
    },
    saveProfile: async () => undefined,
  });
  const ac = new AbortController();
  session.connect(ac.signal).catch((e: unknown) => {
    process.stderr.write(`connector: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
