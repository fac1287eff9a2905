/**
 * The client side of the `*_v2` and `*_socketio` figures (bench/protocols.ts), run as its own process:
 *
 *   node --import tsx bench/protocols-client.ts raw|connector|print v2|socketio URL ROOM TOKEN COUNT
 *
 * `raw`: the least a client of the protocol does — a bare `ws` client that `JSON.parse`s every frame
 * (v2), or the official `socket.io-client` with an event listener (socketio) — counting messages.
 * `connector`: the chatapi connector of that protocol feeding a SessionStore and the archive, as
 * bench/ingest-client.ts does for Doc B. `print` (socketio only: wscat cannot speak Socket.IO): the
 * raw client writing each message as a JSON line, the baseline of `tail_vs_wscat_socketio`.
 * Prints one JSON line `{"mode","count","ms","rate","storedRate"}` (not for `print`; `storedRate`: until the
 * last message is in the store, before the archive has written it).
 */
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import type { ChatEvent, ConnectorEvent } from '../src/core/events.js';

const [mode, protocol, url, room, token, countText] = process.argv.slice(2);
const count = Number(countText);
if (!mode || !protocol || !url || !room || !token || !(count > 0)) {
  process.stderr.write('usage: protocols-client.ts raw|connector|print v2|socketio URL ROOM TOKEN COUNT\n');
  process.exit(2);
}
let first = 0;
let seen = 0;
/** Lets the archive (connector mode) write what it still holds; resolves once it is committed. */
let closeArchive: (() => Promise<unknown>) | undefined;
const finish = (): void => {
  // `storedMs`: the COUNT-th message is in the store; `ms` (the figure): it is also in the archive.
  const storedMs = performance.now() - first;
  const done = (): void => {
    const ms = performance.now() - first;
    if (mode !== 'print') process.stdout.write(`${JSON.stringify({ mode, count: seen, ms, rate: (seen / ms) * 1000, storedRate: (seen / storedMs) * 1000 })}\n`);
    process.exit(0);
  };
  if (!closeArchive) return done();
  void closeArchive().then(done);
};
const counted = (): void => {
  if (seen++ === 0) first = performance.now();
  // `print` runs until the bench ends it: an exit now could drop the last lines still in the stdout pipe.
  if (seen === count && mode !== 'print') finish();
};
setTimeout(() => {
  process.stderr.write(`protocols-client ${mode} ${protocol}: timed out after ${seen} messages\n`);
  process.exit(1);
}, 120_000).unref();

if (mode !== 'connector' && protocol === 'v2') {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false, headers: { authorization: `Bearer ${token}` } });
  ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as { type?: string };
    if (f.type === 'message') counted();
  });
  ws.on('error', (e) => {
    process.stderr.write(`raw v2: ${e.message}\n`);
    process.exit(1);
  });
} else if (mode !== 'connector') {
  const socket = io(url, { path: '/sockets', transports: ['websocket'], reconnection: false, auth: { api_key: token, user_id: 'bench_me' }, perMessageDeflate: false } as unknown as Parameters<typeof io>[1]);
  socket.on('message', (m: unknown) => {
    if (mode === 'print') process.stdout.write(`${JSON.stringify(m)}\n`);
    counted();
  });
  socket.on('connect_error', (e) => {
    process.stderr.write(`raw socketio: ${e.message}\n`);
    process.exit(1);
  });
} else {
  const { boundYoungGeneration } = await import('../src/core/heap.js');
  boundYoungGeneration();
  const { getConnector } = await import('../src/connectors/index.js');
  const { SessionStore } = await import('../src/core/store/index.js');
  const { Archive } = await import('../src/core/archive/index.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const def = getConnector('chatapi')!;
  const store = new SessionStore();
  // As the TUI opens it (src/core/archive/app.ts) and bench/ingest-client.ts does: batches on the writer thread, started before the stream.
  const archive = Archive.open(join(mkdtempSync(join(tmpdir(), 'chat-tui-bench-archive-')), 'archive.db'), { worker: true });
  await archive.startWriter();
  closeArchive = () => archive.closeAsync();
  const profile = { name: 'bench', service: 'chatapi', url, token, rooms: [room], userId: 'bench_me', userName: 'Bench', protocol };
  store.addProfile('bench', 'chatapi', def.capabilities);
  const session = def.create({
    profile,
    token,
    emit(ev: ConnectorEvent) {
      const full = { ...ev, profile: 'bench' } as ChatEvent;
      store.apply(full);
      archive.record(full);
      if (full.type === 'message') counted();
    },
    saveProfile: async () => undefined,
  });
  session.connect(new AbortController().signal).catch((e: unknown) => {
    process.stderr.write(`connector: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
