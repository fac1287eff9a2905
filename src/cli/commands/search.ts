import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { configDir } from '../../config/paths.js';
import { Archive, archivePath } from '../../core/archive/index.js';
import type { ArchivedMessage } from '../../core/archive/index.js';
import type { MessageEvent } from '../../core/events.js';
import { formatMessage, jsonLine } from '../format.js';
import { errLine, jsonLineOut, out } from '../io.js';
import { intParser, jsonOption } from '../options.js';

/** Default and maximum of `search --limit`. */
export const SEARCH_DEFAULT_LIMIT = 50;
export const SEARCH_MAX_LIMIT = 10_000;

/**
 * The archive of this config directory for a command that reads it (search, export, doctor), or
 * undefined when there is none yet (nothing archived). Opening migrates an older file; throws
 * ArchiveError (one line: locked, corrupt, unreadable).
 */
export function openArchiveForReading(): { archive: Archive | undefined; file: string } {
  const file = archivePath(configDir());
  if (!existsSync(file)) return { archive: undefined, file };
  return { archive: Archive.open(file), file };
}

/** An archived message as the contract's `message` event (conformance README "Events"). */
export function messageEvent(m: ArchivedMessage): MessageEvent {
  const ev: MessageEvent = { type: 'message', profile: m.profile, room: m.room, id: m.id, author: m.author, text: m.text, time: new Date(m.ts).toISOString() };
  if (m.edited) ev.edited = true;
  return ev;
}

/** A plain line of an archived message: the `history` line with the profile before the room. */
function plain(m: ArchivedMessage): string {
  return formatMessage({ ...messageEvent(m), room: `${m.profile}/${m.room}` });
}

/**
 * `chat-tui search TEXT [--profile P] [--room R] [--limit N] [--order newest|rank] [--context N] [--json]`:
 * searches the local archive (every message chat-tui has seen) with SQLite FTS5: all the words must
 * occur, the last one also as a prefix. Plain output: one `history`-style line a hit, newest first,
 * with `--context N` lines around each (grep-style, `--` between hits); `--json`: the hits as
 * `message` events, one a line. Nothing archived yet or no hit: nothing on stdout, a note on stderr,
 * exit 0. A damaged or locked archive: one line, exit 1.
 */
export function searchCommand(): Command {
  return new Command('search')
    .description('search the messages chat-tui has archived')
    .argument('<text...>', 'words to find (all of them; the last also as a prefix)')
    .option('-p, --profile <name>', 'only this profile')
    .option('-r, --room <room>', 'only this room (its id)')
    .option('-n, --limit <n>', `most hits (default ${SEARCH_DEFAULT_LIMIT})`, intParser(1, SEARCH_MAX_LIMIT))
    .addOption(new Option('--order <order>', 'newest first, or best match first').choices(['newest', 'rank']).default('newest'))
    .option('-C, --context <n>', 'messages of the room to show before and after each hit', intParser(0, 50))
    .addOption(jsonOption())
    .action((words: string[], o: { profile?: string; room?: string; limit?: number; order: 'newest' | 'rank'; context?: number; json?: boolean }) => {
      const { archive, file } = openArchiveForReading();
      if (!archive) {
        errLine(`nothing archived yet (${file})`);
        return;
      }
      try {
        // After an upgrade that rebuilds the search index (archive schema v5) the first search waits for it.
        const left = archive.searchRebuildLeft();
        if (left > 0) errLine(`indexing ${left.toLocaleString('en-US')} archived messages for search first (once, after an upgrade)`);
        const hits = archive.search({
          text: words.join(' '),
          ...(o.profile !== undefined ? { profile: o.profile } : {}),
          ...(o.room !== undefined ? { room: o.room } : {}),
          order: o.order,
          limit: o.limit ?? SEARCH_DEFAULT_LIMIT,
          context: o.json ? 0 : (o.context ?? 0),
        });
        if (hits.length === 0) errLine('no archived message matches');
        hits.forEach((h, i) => {
          if (o.json) {
            jsonLineOut(jsonLine(messageEvent(h.message)) as string);
            return;
          }
          if (o.context && i > 0) out('--');
          for (const m of h.before) out(`  ${plain(m)}`);
          out(plain(h.message));
          for (const m of h.after) out(`  ${plain(m)}`);
        });
      } finally {
        archive.close();
      }
    });
}
