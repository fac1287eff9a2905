/**
 * A small IRC server for the bench's WeeChat side (node:net, loopback only): enough of RFC 1459 / RFC 2812
 * for a real client to register, join channels and receive PRIVMSG floods. It answers CAP LS with no
 * capabilities (IRCv3 capability negotiation: an empty list ends it), NICK/USER with 001–005 and
 * ERR_NOMOTD (422), PING with PONG, JOIN with the JOIN echo, RPL_NOTOPIC (331), RPL_NAMREPLY (353) and
 * RPL_ENDOFNAMES (366), MODE with RPL_CHANNELMODEIS (324)/RPL_UMODEIS (221), WHO with RPL_ENDOFWHO (315),
 * and ignores the rest (a bench client asks nothing else that it waits for).
 *
 * Floods are the same messages as the chatapi bench server's (same text, same 20 authors), as
 * `:nick!user@host PRIVMSG #channel :text` lines, paced at a rate or as fast as the socket drains; every
 * line's send time is recorded like the chatapi server's (`StreamResult`).
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { StreamResult } from './server.js';

const SERVER = 'bench.irc';

/** One registered client connection. */
interface IrcClient {
  socket: Socket;
  nick: string;
  registered: boolean;
  channels: Set<string>;
  /** Waiters for a PONG by its token (see `sync`). */
  pongs: Map<string, () => void>;
}

/** Lines ready to send to one channel: the bytes and where each line ends. */
export interface PreparedIrcFlood {
  channel: string;
  bytes: Buffer;
  ends: Uint32Array;
}

/** The bench's IRC server. */
export interface IrcServer {
  port: number;
  /** Resolves once `n` clients have joined `channel` (or any channel when omitted); rejects after `timeoutMs`. */
  waitForJoins(n: number, channel?: string, timeoutMs?: number): Promise<void>;
  /** Encodes `count` PRIVMSG lines from `make(seq)` for `channel` ahead of a flood. */
  prepare(channel: string, count: number, make: (seq: number) => { content: string; senderName: string }): PreparedIrcFlood;
  /** Sends a prepared flood to every client in its channel: `rate` lines a second, or as fast as the sockets drain. */
  stream(flood: PreparedIrcFlood, opts?: { rate?: number }): Promise<StreamResult>;
  /**
   * Resolves once every client in a channel has answered a PING sent now (false after `timeoutMs`): a
   * client reads its socket in order, so its PONG says it has read every line sent before.
   */
  sync(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** An IRC nick from a display name (`User 3` → `User_3`): RFC 2812 §2.3.1 allows no spaces. */
export function ircNick(name: string): string {
  return name.replace(/[^A-Za-z0-9_\-[\]\\`^{}|]/g, '_').slice(0, 30) || 'anon';
}

/** Starts the server on 127.0.0.1 (port 0). */
export async function startIrcServer(): Promise<IrcServer> {
  const clients = new Set<IrcClient>();
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of waiters) w();
  };

  const onLine = (c: IrcClient, line: string): void => {
    const send = (s: string): void => void c.socket.write(`${s}\r\n`);
    const [head, ...rest] = line.split(' :');
    const trailing = rest.length ? rest.join(' :') : undefined;
    const words = (head ?? '').split(' ').filter(Boolean);
    const cmd = (words[0] ?? '').toUpperCase();
    const args = words.slice(1);
    if (trailing !== undefined) args.push(trailing);
    switch (cmd) {
      case 'CAP':
        if ((args[0] ?? '').toUpperCase() === 'LS') send(`:${SERVER} CAP * LS :`);
        else if ((args[0] ?? '').toUpperCase() === 'REQ') send(`:${SERVER} CAP * NAK :${args[1] ?? ''}`);
        return;
      case 'NICK':
        c.nick = args[0] ?? c.nick;
        return;
      case 'USER':
        if (c.registered) return;
        c.registered = true;
        send(`:${SERVER} 001 ${c.nick} :Welcome to the bench IRC network ${c.nick}`);
        send(`:${SERVER} 002 ${c.nick} :Your host is ${SERVER}, running bench-ircd`);
        send(`:${SERVER} 003 ${c.nick} :This server was created today`);
        send(`:${SERVER} 004 ${c.nick} ${SERVER} bench-ircd i nt`);
        send(`:${SERVER} 005 ${c.nick} CHANTYPES=# PREFIX=(ov)@+ CHANMODES=,,,nt NICKLEN=30 NETWORK=bench :are supported by this server`);
        send(`:${SERVER} 422 ${c.nick} :MOTD File is missing`);
        return;
      case 'PING':
        send(`:${SERVER} PONG ${SERVER} :${args[0] ?? ''}`);
        return;
      case 'PONG': {
        const token = args.at(-1) ?? '';
        c.pongs.get(token)?.();
        c.pongs.delete(token);
        return;
      }
      case 'JOIN':
        for (const ch of (args[0] ?? '').split(',').filter(Boolean)) {
          c.channels.add(ch);
          send(`:${c.nick}!bench@127.0.0.1 JOIN ${ch}`);
          send(`:${SERVER} 331 ${c.nick} ${ch} :No topic is set`);
          send(`:${SERVER} 353 ${c.nick} = ${ch} :@${c.nick}`);
          send(`:${SERVER} 366 ${c.nick} ${ch} :End of /NAMES list.`);
        }
        wake();
        return;
      case 'MODE':
        if ((args[0] ?? '').startsWith('#')) send(`:${SERVER} 324 ${c.nick} ${args[0]} +nt`);
        else send(`:${SERVER} 221 ${c.nick} +i`);
        return;
      case 'WHO':
        send(`:${SERVER} 315 ${c.nick} ${args[0] ?? '*'} :End of /WHO list.`);
        return;
      case 'QUIT':
        c.socket.end();
        return;
      default:
        return;
    }
  };

  const server = createServer((socket) => {
    const c: IrcClient = { socket, nick: '*', registered: false, channels: new Set(), pongs: new Map() };
    clients.add(c);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let buf = '';
    socket.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (line) onLine(c, line);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => clients.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const inChannel = (channel?: string): IrcClient[] => [...clients].filter((c) => (channel === undefined ? c.channels.size > 0 : c.channels.has(channel)));

  return {
    port,
    async waitForJoins(n, channel, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (inChannel(channel).length < n) {
        if (performance.now() > deadline) throw new Error(`irc server: ${n} client(s) did not join ${channel ?? 'a channel'} within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const done = (): void => {
            waiters.delete(done);
            r();
          };
          waiters.add(done);
          setTimeout(done, 50);
        });
      }
    },
    prepare(channel, count, make) {
      const lines: Buffer[] = new Array(count);
      let total = 0;
      for (let i = 0; i < count; i++) {
        const m = make(i);
        const nick = ircNick(m.senderName);
        lines[i] = Buffer.from(`:${nick}!${nick}@bench PRIVMSG ${channel} :${m.content}\r\n`, 'utf8');
        total += lines[i]!.length;
      }
      const bytes = Buffer.allocUnsafe(total);
      const ends = new Uint32Array(count);
      let o = 0;
      for (let i = 0; i < count; i++) {
        o += lines[i]!.copy(bytes, o);
        ends[i] = o;
      }
      return { channel, bytes, ends };
    },
    async stream(flood, opts = {}) {
      const count = flood.ends.length;
      const sentAt = new Float64Array(count);
      const targets = inChannel(flood.channel).map((c) => c.socket);
      const t0 = performance.now();
      let sent = 0;
      let firstSentAt = 0;
      const writeUpTo = async (to: number): Promise<void> => {
        const from = sent;
        const chunk = flood.bytes.subarray(from === 0 ? 0 : flood.ends[from - 1]!, flood.ends[to - 1]!);
        const waits: Array<Promise<void>> = [];
        for (const s of targets) {
          if (s.destroyed) continue;
          if (!s.write(chunk)) waits.push(new Promise((r) => s.once('drain', r).once('close', r)));
        }
        const now = performance.now();
        if (from === 0) firstSentAt = now;
        sentAt.fill(now, from, to);
        sent = to;
        if (waits.length) await Promise.all(waits);
      };
      while (sent < count) {
        if (opts.rate === undefined) {
          let to = sent + 1;
          const start = sent === 0 ? 0 : flood.ends[sent - 1]!;
          while (to < count && flood.ends[to]! - start < 256 * 1024) to++;
          await writeUpTo(to);
          continue;
        }
        const owed = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * opts.rate) + 1);
        if (owed > sent) await writeUpTo(owed);
        else await new Promise((r) => setTimeout(r, 2));
      }
      return { sent, firstSentAt, lastSentAt: sent > 0 ? sentAt[sent - 1]! : 0, sentAt };
    },
    async sync(timeoutMs = 30_000) {
      const token = `sync-${Math.random().toString(36).slice(2)}`;
      const answers = inChannel().map((c) => new Promise<void>((r) => {
        c.pongs.set(token, r);
        c.socket.write(`PING :${token}\r\n`);
      }));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const ok = await Promise.race([Promise.all(answers).then(() => true), timedOut]);
      clearTimeout(timer);
      return ok;
    },
    async close() {
      for (const c of clients) c.socket.destroy();
      clients.clear();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
