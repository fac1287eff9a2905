import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { findSentCopy } from '../../core/connection/sent-copy.js';
import type { ConnectorSession } from '../../core/connector.js';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import { config } from '../config.js';
import { formatMessage, learnRooms, toJsonEvent, type RoomNames } from '../format.js';
import os from 'node:os';
import { errLine, flushOutput, jsonOut, out } from '../io.js';
import { jsonOption, profileOption } from '../options.js';
import { createSession, findRoom, loadProfile, pickRoom, safeRooms } from '../session.js';

/** How long `send` waits for the server to have the message, ms. */
export const SEND_TIMEOUT_MS = 30_000;

/** Reads all of stdin as UTF-8 (for `send … -`), dropping one trailing newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * `chat-tui send --profile NAME --room ROOM [--json] TEXT` (conformance README): sends once and waits until
 * the server has it (the session's send promise), then prints the server's copy (`--json`: one `message`
 * line). `TEXT` `-` reads stdin. A send that fails after it went out (a 5xx, a dropped connection, no
 * answer in time) is not posted again: the room's newest messages are read once for our copy (the kit's
 * findSentCopy); found, it is printed as sent; else the error says the message may have been sent. A read-only profile fails with `read_only` (exit 1) without connecting.
 * On failure with `--json` an `error` event is printed on stdout as well as the one line on stderr.
 */
export function sendCommand(): Command {
  return new Command('send')
    .description('send a message and wait until the server has it')
    .addOption(profileOption())
    .option('-r, --room <room>', "room (default: the profile's only room)")
    .addOption(jsonOption())
    .argument('<text...>', 'the message ("-" reads it from stdin)')
    .action(async (words: string[], o: { profile: string; room?: string; json?: boolean }) => {
      // Ctrl-C (or SIGTERM/SIGHUP) says what became of the message, then exits 128+n: before the
      // message went out it was not sent; after, the server may have it but did not confirm it yet.
      let phase: 'before' | 'sending' | 'done' = 'before';
      const onSignal = (sig: NodeJS.Signals): void => {
        if (phase === 'done') return;
        errLine(phase === 'before' ? 'interrupted: not sent' : 'interrupted: the message went out, but the server has not confirmed it; check with: chat-tui history');
        void flushOutput().then(() => process.exit(128 + (os.constants.signals[sig] ?? 2)));
      };
      for (const sig of SIGNALS) process.on(sig, onSignal);
      try {
        await sendOnce(words, o, () => (phase = 'sending'));
        phase = 'done';
      } finally {
        for (const sig of SIGNALS) process.off(sig, onSignal);
      }
    });
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Our user id on the session, when it knows it (a connector's `me` must not break the command). */
function safeMe(session: ConnectorSession): string | undefined {
  try {
    return session.me?.()?.id || undefined;
  } catch {
    return undefined;
  }
}

/** The work of `send`; `going()` is called just before the message is handed to the connection. */
async function sendOnce(words: string[], o: { profile: string; room?: string; json?: boolean }, going: () => void): Promise<void> {
  const room = pickRoom(config().require(o.profile), o.room, 'send');
  const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
  if (!text.trim()) throw new UsageError('send: the message is empty');
  const loaded = await loadProfile(o.profile, { rooms: [room] });
  const s = createSession(loaded);
  try {
    const caps = s.session.capabilities;
    if (caps.readOnly) {
      throw new ChatError('read_only', `profile "${o.profile}" is read-only${caps.readOnlyReason ? `: ${caps.readOnlyReason}` : ''}`);
    }
    await s.connect();
    const names: RoomNames = new Map();
    learnRooms(names, safeRooms(s.session));
    const id = await findRoom(s, room);
    let timer: NodeJS.Timeout | undefined;
    let msg;
    const txnId = randomUUID();
    const since = new Date().toISOString();
    try {
      going();
      msg = await Promise.race([
        s.session.send(id, text, txnId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ChatError('network', `the server did not confirm the message within ${SEND_TIMEOUT_MS / 1000} s`)), SEND_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const e = toChatError(err);
      // Failed after it went out (a 5xx, a dropped connection, no answer): the server may have it. Look once; never post again.
      if (!e.retryable || e.code === 'rate_limited') throw e;
      const found = await findSentCopy(s.session, { room: id, text, txnId, since, me: safeMe(s.session) }).catch(() => undefined);
      if (!found) throw new ChatError(e.code, `${e.message.split('\n')[0] ?? 'the send failed'}; the message may have been sent: check with chat-tui history before sending it again`, { retryable: false });
      msg = found;
    } finally {
      clearTimeout(timer);
    }
    const ev = { ...msg, profile: o.profile };
    if (o.json) jsonOut(toJsonEvent(ev));
    else out(formatMessage(ev, names));
  } catch (err) {
    if (o.json && err instanceof ChatError) {
      jsonOut(toJsonEvent({ type: 'error', profile: o.profile, code: err.code, message: err.message.split('\n')[0] ?? '' }));
    }
    throw err;
  } finally {
    await s.close();
  }
}
