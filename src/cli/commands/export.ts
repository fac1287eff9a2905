import { Command, Option } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatMessage, jsonLine } from '../format.js';
import { errLine, jsonLineOut, out } from '../io.js';
import { profileOption } from '../options.js';
import { messageEvent, openArchiveForReading } from './search.js';

/** Parses `--since`: an ISO 8601 date or date-time; returns ms since epoch. Throws UsageError. */
export function parseSince(value: string): number {
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(t)) throw new UsageError(`--since: not an ISO date or time: ${value.slice(0, 60)} (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`);
  return t;
}

/**
 * `chat-tui export --profile P [--room R] [--since ISO] [--format ndjson|txt]`: every archived message of
 * the profile (deleted ones left out), oldest first, on stdout — `ndjson`: `message` events of the
 * contract, one a line; `txt`: the `history` lines. Read in pages, so any size streams in flat memory.
 */
export function exportCommand(): Command {
  return new Command('export')
    .description("write a profile's archived messages, oldest first")
    .addOption(profileOption())
    .option('-r, --room <room>', 'only this room (its id)')
    .option('--since <iso>', 'only messages from this time on (ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z)')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'txt']).default('ndjson'))
    .action((o: { profile: string; room?: string; since?: string; format: 'ndjson' | 'txt' }) => {
      const since = o.since !== undefined ? parseSince(o.since) : undefined;
      const { archive, file } = openArchiveForReading();
      if (!archive) {
        errLine(`nothing archived yet (${file})`);
        return;
      }
      try {
        let n = 0;
        for (const m of archive.export({ profile: o.profile, ...(o.room !== undefined ? { room: o.room } : {}), ...(since !== undefined ? { since } : {}) })) {
          if (m.deleted) continue;
          n++;
          if (o.format === 'txt') out(formatMessage(messageEvent(m)));
          else jsonLineOut(jsonLine(messageEvent(m)) as string);
        }
        if (n === 0) errLine(`no archived messages of profile ${o.profile}${o.room !== undefined ? ` in ${o.room}` : ''}`);
      } finally {
        archive.close();
      }
    });
}
