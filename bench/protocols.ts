/**
 * `ingest_ratio` and `tail_vs_wscat` for the chatapi transports of the real servers (the Go `v2` and
 * the Python `socketio`), against test/servers/chatapi-v2 and test/servers/chatapi-socketio on
 * 127.0.0.1: `ingest_ratio_v2|socketio` (connector + store + archive ÷ the bare client of the
 * protocol, bench/protocols-client.ts) and `tail_vs_wscat_v2|socketio` (`chat-tui tail --json` ÷
 * wscat for v2; ÷ the bare socket.io-client printing JSON lines for socketio, which wscat cannot
 * speak). The messages are pre-encoded WebSocket frames written in 256 KiB chunks with `drain`
 * waits, so that the client, not the server, is what is measured. Targets are those of the Doc B
 * figures (bench/lib/report.ts).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Socket as NetSocket } from 'node:net';
import { join } from 'node:path';
import { startSocketIoServer } from '../test/servers/chatapi-socketio/server.js';
import { startV2Server } from '../test/servers/chatapi-v2/server.js';
import { CLI, ROOT, countingSink, run, tempDir } from './lib/proc.js';
import { targetOf, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

interface Ctx {
  runs: number;
  emit(f: Figure): void;
  want(name: string): boolean;
  log(line: string): void;
}

const STREAM = 100_000;
const END = 'zz-end-of-stream';
const ROOM = '3f6c1a52-8b0e-4f9a-a6d4-2b7c9e1f0a01';

/** One unmasked WebSocket text frame (RFC 6455 §5.2) around `text`. */
function wsFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const n = body.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, body]);
}

/** Pre-encoded frames in one buffer, with where each frame ends (chunks are cut at frame ends: the server's own frames, acks and presence, go in between). */
interface Wire {
  bytes: Buffer;
  ends: number[];
}

function wireOf(texts: Iterable<string>): Wire {
  const frames: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const t of texts) {
    const f = wsFrame(t);
    frames.push(f);
    ends.push((at += f.length));
  }
  return { bytes: Buffer.concat(frames), ends };
}

/** The stream's text of message `i`: ~60 characters, 20 authors, the end mark on the last one. */
const text = (i: number): string => `message ${i} from the bench: the quick brown fox jumps${i === STREAM - 1 ? ` ${END}` : ''}`;

/** A protocol's bench server: its URL, a token, and a writer of the pre-encoded stream to the one connected client. */
interface Target {
  name: 'v2' | 'socketio';
  url: string;
  token: string;
  wire: Wire;
  connected(): NetSocket | undefined;
  /** Open connections now. */
  count(): number;
  /** How many times the chat-tui client has opened the room so far (v2: its GET /rooms/{id}, made once the room is open; socketio: its join_room). */
  opened(): number;
  close(): Promise<void>;
}

async function v2Target(): Promise<Target> {
  const s = await startV2Server({ rooms: [{ room_id: ROOM, type: 'group', name: 'general', members: ['bench_me', 'wscat'] }] });
  // as the Go server writes them: UUIDs, and whole seconds (a flood has a thousand messages a second)
  const base = Date.UTC(2026, 3, 2, 12, 10);
  const at = (i: number): string => new Date(base + Math.floor(i / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const wire = wireOf(Array.from({ length: STREAM }, (_, i) => JSON.stringify({ type: 'message', room_id: ROOM, seq: i + 1, message_id: randomUUID(), sender_id: `user_${i % 20}`, content: text(i), created_at: at(i) })));
  return {
    name: 'v2',
    url: s.url,
    token: s.token('bench_me'),
    wire,
    count: () => s.open().length,
    opened: () => s.requests.filter((r) => r.path === `/rooms/${ROOM}`).length,
    connected: () => (s.open().at(-1)?.ws as unknown as { _socket?: NetSocket } | undefined)?._socket,
    close: () => s.close(),
  };
}

async function socketioTarget(): Promise<Target> {
  const s = await startSocketIoServer({ rooms: [{ id: ROOM, name: 'general', members: ['bench_me'] }], keys: { 'bench-key': '' } });
  // as python's isoformat() writes them: microseconds and +00:00, UUIDs
  const base = Date.UTC(2025, 6, 1, 12);
  const at = (i: number): string => new Date(base + i).toISOString().replace(/\.(\d{3})Z$/, '.$1456+00:00');
  // Engine.IO message "4" + Socket.IO event "2[…]" in one WebSocket frame each.
  const wire = wireOf(Array.from({ length: STREAM }, (_, i) => `42${JSON.stringify(['message', { message_id: randomUUID(), room_id: ROOM, content: text(i), content_type: 'text', sender_user_id: `user_${i % 20}`, sender_display_name: `User ${i % 20}`, reply_to_id: null, is_edited: false, created_at: at(i) }])}`));
  return {
    name: 'socketio',
    url: s.url,
    token: 'bench-key',
    wire,
    count: () => s.open().length,
    opened: () => s.events.filter((e) => e.event === 'join_room').length,
    connected: () => (s.open().at(-1)?.conn as unknown as { transport?: { socket?: { _socket?: NetSocket } } } | undefined)?.transport?.socket?._socket,
    close: () => s.close(),
  };
}

/**
 * Waits for the client's connection (and, for chat-tui, `opened` past `openedBefore`: the room is open,
 * else its first messages would be for a room not open yet), then writes the whole stream; resolves
 * with when the first bytes went out.
 */
async function stream(t: Target, exited: Promise<unknown>, openedBefore?: number): Promise<number> {
  const until = Date.now() + 30_000;
  let sock: NetSocket | undefined;
  // The newest connection is the client's (the one of the previous run may not have closed yet).
  while (!(sock = t.connected()) || t.count() > 1 || (openedBefore !== undefined && t.opened() <= openedBefore)) {
    if (Date.now() > until) throw new Error(`${t.name}: the client did not connect and open the room`);
    await Promise.race([new Promise((r) => setTimeout(r, 20)), exited]);
  }
  await new Promise((r) => setTimeout(r, 200));
  const first = performance.now();
  const { bytes, ends } = t.wire;
  let fromByte = 0;
  for (let i = 0; i < ends.length; ) {
    let j = i;
    while (j < ends.length - 1 && ends[j]! - fromByte < 256 * 1024) j++;
    const chunk = bytes.subarray(fromByte, ends[j]);
    fromByte = ends[j]!;
    i = j + 1;
    if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
  }
  return first;
}

async function ingestOnce(t: Target, mode: 'raw' | 'connector'): Promise<{ rate: number; storedRate: number }> {
  const flags = mode === 'connector' ? (process.env.BENCH_CLIENT_FLAGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'bench', 'protocols-client.ts'), mode, t.name, t.url, ROOM, t.token, String(STREAM)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 2000)));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const before = t.opened();
  try {
    await stream(t, exited.then(() => Promise.reject(new Error(`${mode} exited: ${err.trim()}`))), mode === 'connector' ? before : undefined);
    const code = await exited;
    if (code !== 0) throw new Error(`${mode} ${t.name} failed (${code}): ${err.trim().slice(0, 300)}`);
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { rate?: number; storedRate?: number };
    return { rate: r.rate ?? Number.NaN, storedRate: r.storedRate ?? Number.NaN };
  } finally {
    child.kill('SIGKILL');
  }
}

async function printOnce(t: Target, cmd: string[], env: Record<string, string>, ours: boolean): Promise<number> {
  const before = t.opened();
  const [exe, ...args] = cmd;
  const child = spawn(exe as string, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 2000)));
  const sink = countingSink(child, END);
  sink.done.catch(() => undefined);
  try {
    const first = await stream(t, sink.done.then(() => undefined, (e: unknown) => Promise.reject(new Error(`${String(e)}: ${err.trim().slice(0, 300)}`))), ours ? before : undefined);
    const doneAt = await Promise.race([sink.done, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${err.trim().slice(0, 300)}`)), 120_000))]);
    return (STREAM / (doneAt - first)) * 1000;
  } finally {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }
}

/** The four figures (each only when asked for with `--only`, or always without it). */
export async function benchProtocols(c: Ctx): Promise<void> {
  for (const make of [v2Target, socketioTarget]) {
    const t = await make();
    try {
      if (c.want(`ingest_ratio_${t.name}`)) {
        const raw: number[] = [];
        const ours: number[] = [];
        const stored: number[] = [];
        for (let i = 0; i < c.runs; i++) {
          raw.push((await ingestOnce(t, 'raw')).rate);
          const r = await ingestOnce(t, 'connector');
          ours.push(r.rate);
          stored.push(r.storedRate);
          c.log(`ingest ${t.name} run ${i + 1}: bare client ${Math.round(raw[i]!)} msg/s, connector+store+archive ${Math.round(ours[i]!)} msg/s (${(ours[i]! / raw[i]!).toFixed(2)}; in the store at ${Math.round(stored[i]!)} msg/s, ${(stored[i]! / raw[i]!).toFixed(2)})`);
        }
        c.emit({ name: `ingest_ratio_${t.name}`, value: median(ours), unit: 'msg/s', baseline: median(raw), ratio: median(ours) / median(raw), target: targetOf('ingest_ratio'), note: `median of ${c.runs}, ${STREAM} msgs (UUID ids), connector + store + archive; in the store ${(median(stored) / median(raw)).toFixed(2)}` });
      }
      if (c.want(`tail_vs_wscat_${t.name}`)) {
        const dir = tempDir();
        const add = ['profile', 'add', 'bench', '--service', 'chatapi', '--url', t.url, '--token', t.token, '--room', ROOM, '--user-id', 'bench_me', '--protocol', t.name];
        const r = await run(CLI, add, { CHAT_TUI_CONFIG_DIR: dir });
        if (r.code !== 0) throw new Error(`profile add: ${r.stderr.trim()}`);
        const base = t.name === 'v2'
          ? [process.execPath, join(ROOT, 'node_modules', 'wscat', 'bin', 'wscat'), '-c', `${t.url.replace(/^http/, 'ws')}/ws`, '-H', `Authorization: Bearer ${t.token}`]
          : [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'protocols-client.ts'), 'print', 'socketio', t.url, ROOM, t.token, String(STREAM)];
        const b: number[] = [];
        const ours: number[] = [];
        for (let i = 0; i < c.runs; i++) {
          b.push(await printOnce(t, base, {}, false));
          ours.push(await printOnce(t, [...CLI, 'tail', '--profile', 'bench', '--json'], { CHAT_TUI_CONFIG_DIR: dir, NO_COLOR: '1' }, true));
          c.log(`tail ${t.name} run ${i + 1}: ${t.name === 'v2' ? 'wscat' : 'bare socket.io-client'} ${Math.round(b[i]!)} msg/s, tail --json ${Math.round(ours[i]!)} msg/s`);
        }
        c.emit({ name: `tail_vs_wscat_${t.name}`, value: median(ours), unit: 'msg/s', baseline: median(b), ratio: median(ours) / median(b), target: targetOf('tail_vs_wscat'), note: `median of ${c.runs}, ${STREAM} msgs${t.name === 'socketio' ? '; baseline: the bare socket.io-client printing JSON lines' : ''}` });
      }
    } finally {
      await t.close();
    }
  }
}
