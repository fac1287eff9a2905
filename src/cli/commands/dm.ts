import { Command } from 'commander';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { out } from '../io.js';
import { profileOption } from '../options.js';
import { createSession, loadProfile } from '../session.js';

/**
 * `chat-tui dm --profile P USER`: starts a direct conversation through the connector's `createDm`
 * (capability `dms`) and prints the connector's notice (e.g. "DM requested; it appears with its first
 * message"). A service without DMs is a usage error (exit 2).
 */
export function dmCommand(): Command {
  return new Command('dm')
    .description('start a direct message with a user (services with DMs)')
    .addOption(profileOption())
    .argument('<user>', 'user id or name')
    .action(async (user: string, o: { profile: string }) => {
      const loaded = await loadProfile(o.profile);
      const s = createSession(loaded);
      try {
        if (!s.session.capabilities.dms || !s.session.createDm) {
          throw new UsageError(`${loaded.def.displayName} has no direct messages`);
        }
        await s.connect();
        let notice: string;
        try {
          notice = await s.session.createDm(user);
        } catch (err) {
          throw err instanceof UsageError || err instanceof ChatError ? err : toChatError(err);
        }
        out(sanitizeLine(notice));
      } finally {
        await s.close();
      }
    });
}
