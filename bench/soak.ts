/**
 * `npm run soak -- --minutes N [--seed S] [--no-tui] [--flood-max 800] [--verbose]` (issue 7, "Proof"): a chatapi-protocol server of the
 * bench's own (bench/lib/server.ts, with REST history so reconnects can backfill) keeps two rooms busy
 * with a steady stream, and at random times floods a room, drops its sockets (terminate without close,
 * or close with a retryable code) and pushes hostile frames (non-JSON, binary, wrong types, deep
 * nesting, over-long frames, control sequences in names and texts). Against it run `chat-tui tail
 * --json` and, when tmux is installed, the TUI in a tmux session.
 *
 * At the end it prints messages sent, received, lost, duplicated, hostile bytes that reached the output,
 * and the RSS of each client at start and end; exit code 1 when anything was lost or duplicated, a
 * control character leaked, or a client died.
 */
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ROOT, addChatapiProfile, rssMb, tempDir } from './lib/proc.js';
import { startBenchServer, type BenchRoom } from './lib/server.js';
import { mulberry32 } from './lib/random.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? dflt) : dflt;
};
const MINUTES = Number(arg('--minutes', '1'));
const seed = Number(arg('--seed', String(Date.now() % 1_000_000)));
/** Largest flood (messages); see the flood comment below. */
const FLOOD_MAX = Math.max(101, Number(arg('--flood-max', '800')));
const withTui = !argv.includes('--no-tui') && spawnSync('tmux', ['-V']).status === 0;
if (!(MINUTES > 0)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--seed S] [--no-tui]\n');
  process.exit(2);
}

/** mulberry32 (bench/lib/random.ts), seeded so a run can be repeated with `--seed`. */
const random = mulberry32(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
/** tmux on a socket of our own (`-L`), so the soak never touches the user's sessions. */
const tmux = (args: string[]): string => spawnSync('tmux', ['-L', 'chat-tui-soak', ...args], { encoding: 'utf8' }).stdout ?? '';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => void process.stderr.write(`soak: ${line}\n`);

/** Texts and names that try to reach the terminal (CSI, OSC 0/8/52, DCS, C1, bidi, NUL, BEL, CR tricks). */
const HOSTILE_TEXT = [
  '\u001b[2J\u001b[Hscreen cleared?',
  '\u001b]0;pwned title\u0007 title set?',
  '\u001b]52;c;ZXZpbA==\u0007 clipboard?',
  '\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\',
  '\u001bP+q544e\u001b\\ dcs',
  '\u009b31mC1 CSI red',
  'bidi \u202eevil\u202c and \u2066isolate\u2069',
  'nul\u0000bel\u0007bs\u0008\u0008\u0008cr\roverwrite',
  '\u001b_apc\u001b\\ \u001b^pm\u001b\\ \u001bXsos\u001b\\',
  'lone surrogate \ud800 end',
];
const HOSTILE_FRAMES: Array<() => string | Buffer> = [
  () => 'not json {',
  () => Buffer.from([0xff, 0x00, 0x81, 0x9b, 0x1b]),
  () => JSON.stringify({ type: 'message', data: null }),
  () => JSON.stringify({ type: 'message', data: { id: 42, content: { evil: true }, sender_name: ['x'] } }),
  () => JSON.stringify({ type: 12, data: 'x' }),
  () => JSON.stringify({ type: 'connection_status', data: { online_users: 'nope' } }),
  () => JSON.stringify({ type: 'typing', data: { user_id: null, user_name: '\u001b[2Jx', is_typing: 'yes' } }),
  () => '['.repeat(5000) + ']'.repeat(5000),
  () => JSON.stringify({ type: 'message_updated', data: { id: 'nope', content: '\u001b[31m' } }),
  // Well-formed, but pushed live only (never in REST history) and stamped an hour ahead (clock skew):
  // must not stop later backfills from fetching what was missed.
  () => JSON.stringify({ type: 'message', data: { id: `live-only-${Math.floor(random() * 1e9)}`, sender_id: 'skew', sender_name: 'Skewed Clock', content: 'from the future', created_at: new Date(Date.now() + 3_600_000).toISOString() } }),
  () => JSON.stringify({ type: 'message', data: { id: 'huge', sender_id: 'x', sender_name: 'x', content: 'A'.repeat(1_200_000), created_at: new Date().toISOString() } }),
];

// eslint-disable-next-line no-control-regex
const LEAK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Whether any string inside `v` (recursively) holds something the sanitiser must have removed. */
function hostileIn(v: unknown): boolean {
  if (typeof v === 'string') return LEAK.test(v) || !v.isWellFormed();
  if (Array.isArray(v)) return v.some(hostileIn);
  if (v && typeof v === 'object') return Object.values(v).some(hostileIn);
  return false;
}

interface ClientOut {
  gaps: number;
  /** Notice texts (numbers masked) and how often each came. */
  notices: Map<string, number>;
  lines: number;
  ids: Map<string, number>;
  leaks: number;
  bad: number;
}

async function main(): Promise<void> {
  const rooms: BenchRoom[] = [
    { id: '6f1c2a10-0000-4000-8000-00000000aa01', name: 'soak-a' },
    { id: '6f1c2a10-0000-4000-8000-00000000aa02', name: 'soak-b' },
  ];
  const server = await startBenchServer({ rooms });
  const configDir = tempDir('chat-tui-soak-');
  await addChatapiProfile(configDir, 'soak', { url: server.url, token: server.apiKey, rooms: rooms.map((r) => r.id) });
  const env = { ...process.env, CHAT_TUI_CONFIG_DIR: configDir, NO_COLOR: '1', CI: '', CHAT_TUI_BACKOFF_CAP_MS: '3000' };

  // tail --json, its stdout parsed line by line.
  const tail = spawn(CLI[0] as string, [...CLI.slice(1), 'tail', '--profile', 'soak', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: ClientOut = { lines: 0, ids: new Map(), leaks: 0, bad: 0, gaps: 0, notices: new Map() };
  let buf = '';
  tail.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      out.lines++;
      let ev: { type?: string; id?: string; text?: string; room?: string };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        out.bad++;
        continue;
      }
      // No string in the output may carry a control sequence, a C0/C1 control other than \n and \t,
      // bidi formatting or a lone surrogate: the sanitiser removes them before anything is printed.
      if (hostileIn(ev)) out.leaks++;
      // Keyed by room and id: ids are unique per room (a hostile frame may reuse one in another room).
      if (ev.type === 'message' && typeof ev.id === 'string') {
        const key = `${ev.room ?? ''}/${ev.id}`;
        out.ids.set(key, (out.ids.get(key) ?? 0) + 1);
      }
      else if (ev.type === 'gap') out.gaps++;
      else if (ev.type === 'notice' && typeof ev.text === 'string') {
        const k = ev.text.replace(/\d+/g, 'N').slice(0, 100);
        out.notices.set(k, (out.notices.get(k) ?? 0) + 1);
      }
    }
  });
  let tailErr = '';
  tail.stderr.setEncoding('utf8').on('data', (d: string) => (tailErr = (tailErr + d).slice(-2000)));
  let tailExit: number | null | undefined;
  tail.on('exit', (code) => (tailExit = code));

  // The TUI in tmux, when there is tmux.
  const session = `chat-tui-soak-${process.pid}`;
  let tuiPid = 0;
  if (withTui) {
    const cmd = [...CLI].map((s) => `'${s}'`).join(' ');
    tmux(['new-session', '-d', '-s', session, '-x', '120', '-y', '40', `env CHAT_TUI_CONFIG_DIR='${configDir}' CI= CHAT_TUI_BACKOFF_CAP_MS=3000 ${cmd}`]);
    const pid = tmux(['list-panes', '-t', session, '-F', '#{pane_pid}']).trim();
    tuiPid = Number(pid) || 0;
  }

  await server.waitForSockets(withTui ? 4 : 2, undefined, 20_000);
  await sleep(1000);
  const tailPid = tail.pid ?? 0;
  const rssStart = { tail: rssMb(tailPid), tui: tuiPid ? rssMb(tuiPid) : Number.NaN };

  /** Keys `room/id` of every message the server stored. */
  const sent = new Set<string>();
  let seq = 0;
  const counts = { floods: 0, drops: 0, hostileFrames: 0, hostileMessages: 0 };
  /** What happened when, by message sequence number (printed with --verbose). */
  const events: string[] = [];
  const post = (room: BenchRoom, content: string, name?: string): void => {
    const id = `soak-${seq++}`;
    sent.add(`${room.id}/${id}`);
    server.post(room.id, { id, content, senderId: `user_${seq % 7}`, senderName: name ?? `User ${seq % 7}` });
  };

  const endAt = performance.now() + MINUTES * 60_000;
  let nextEvent = performance.now() + 2000;
  let lastReport = performance.now();
  while (performance.now() < endAt && tailExit === undefined) {
    // Steady traffic: ~20 msg/s per room.
    for (const r of rooms) post(r, `steady ${seq} in ${r.name}`);
    if (performance.now() >= nextEvent) {
      const room = pick(rooms);
      const what = random();
      if (what < 0.3) {
        counts.floods++;
        // Up to 800: below the connector's bounded backfill (10 pages of 100), so a flood while the
        // socket is down can still be fetched back; a longer outage ends in a gap event by design.
        const n = 100 + Math.floor(random() * (FLOOD_MAX - 100));
        const batch = server.prepare(room.id, n, () => {
          const id = `soak-${seq++}`;
          sent.add(`${room.id}/${id}`);
          return { id, content: `flood ${seq} in ${room.name}`, senderId: 'flooder', senderName: 'Flooder' };
        });
        events.push(`seq ${seq - n}–${seq - 1}: flood of ${n} into ${room.name} (${server.sockets(room.id).length} socket(s) open)`);
        await server.stream(batch, { store: true });
      } else if (what < 0.6) {
        counts.drops++;
        const how = pick(['terminate', 'terminate', 1001, 1011, 1012, 1013, 4004] as const);
        events.push(`seq ${seq}: drop ${room.name} (${how})`);
        server.drop(room.id, how);
      } else if (what < 0.8) {
        counts.hostileFrames++;
        server.raw(room.id, pick(HOSTILE_FRAMES)());
      } else {
        counts.hostileMessages++;
        post(room, pick(HOSTILE_TEXT), pick(HOSTILE_TEXT).slice(0, 40));
      }
      nextEvent = performance.now() + 500 + random() * 4000;
    }
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      log(`${Math.round((endAt - performance.now()) / 1000)} s left: sent ${sent.size}, received ${out.ids.size}, ${counts.drops} drops, ${counts.floods} floods`);
    }
    await sleep(50);
  }

  // Let reconnects and backfill finish: wait until everything arrived or nothing changes for 15 s.
  let last = -1;
  let stableSince = performance.now();
  while (tailExit === undefined && performance.now() - stableSince < 15_000) {
    const got = [...sent].filter((id) => out.ids.has(id)).length;
    if (got === sent.size) break;
    if (got !== last) {
      last = got;
      stableSince = performance.now();
    }
    await sleep(250);
  }

  const rssEnd = { tail: rssMb(tailPid), tui: tuiPid ? rssMb(tuiPid) : Number.NaN };
  const tuiAlive = tuiPid ? spawnSync('kill', ['-0', String(tuiPid)]).status === 0 : false;
  // A title-setting OSC that got through would show in tmux's pane title.
  const paneTitle = withTui ? tmux(['display', '-p', '-t', session, '#{pane_title}']).trim() : '';
  if (/pwned/.test(paneTitle)) out.leaks++;
  const received = [...sent].filter((id) => out.ids.has(id)).length;
  const lost = sent.size - received;
  let duplicated = 0;
  for (const n of out.ids.values()) if (n > 1) duplicated += n - 1;
  const unknown = [...out.ids.keys()].filter((id) => !sent.has(id)).length;
  // Lost messages as ranges of their sequence numbers (what was happening then: see the event log).
  const lostSeqs = [...sent].filter((id) => !out.ids.has(id)).map((key) => Number(key.slice(key.lastIndexOf('/soak-') + 6))).sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < lostSeqs.length; ) {
    let j = i;
    while (j + 1 < lostSeqs.length && (lostSeqs[j + 1] as number) <= (lostSeqs[j] as number) + 2) j++;
    ranges.push(i === j ? `${lostSeqs[i]}` : `${lostSeqs[i]}–${lostSeqs[j]} (${j - i + 1})`);
    i = j + 1;
  }

  const report = [
    `minutes ${MINUTES} (seed ${arg('--seed', 'random')})`,
    `messages sent ${sent.size}`,
    `messages received ${received}`,
    `messages lost ${lost}${ranges.length ? ` (seq ${ranges.slice(0, 10).join(', ')}${ranges.length > 10 ? ', …' : ''})` : ''}`,
    `messages duplicated ${duplicated}`,
    `unknown message ids ${unknown} (live-only hostile messages that the client accepted)`,
    `gap events ${out.gaps}`,
    ...[...out.notices].map(([k, n]) => `notice ×${n}: ${k}`),
    `control characters in output ${out.leaks}`,
    `unparsable output lines ${out.bad}`,
    `events: ${counts.floods} floods, ${counts.drops} drops, ${counts.hostileFrames} hostile frames, ${counts.hostileMessages} hostile messages`,
    `tail --json: ${tailExit === undefined ? 'alive' : `EXITED (${tailExit}) ${tailErr.trim().split('\n').pop() ?? ''}`}, RSS start ${rssStart.tail.toFixed(1)} MiB, end ${rssEnd.tail.toFixed(1)} MiB`,
    withTui ? `tui (tmux): ${tuiAlive ? 'alive' : 'DEAD'}, RSS start ${rssStart.tui.toFixed(1)} MiB, end ${rssEnd.tui.toFixed(1)} MiB` : 'tui: not run (no tmux or --no-tui)',
  ];
  process.stdout.write(`${report.join('\n')}\n`);
  if (argv.includes('--verbose')) process.stderr.write(`${events.join('\n')}\n`);

  tail.kill('SIGTERM');
  if (withTui) tmux(['kill-session', '-t', session]);
  await server.close();
  const ok = lost === 0 && duplicated === 0 && out.leaks === 0 && tailExit === undefined && (!withTui || tuiAlive);
  process.exit(ok ? 0 : 1);
}

await main();
