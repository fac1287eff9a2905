import { Command } from 'commander';
import { registerProfileSecrets, registerSecret } from '../../config/secrets.js';
import { getConnector } from '../../connectors/index.js';
import { ChatError, toChatError, UsageError } from '../../core/errors.js';
import { config } from '../config.js';
import { errLine, out } from '../io.js';
import { profileOption } from '../options.js';

/**
 * `chat-tui login --profile P [--client-id ID] [--client-secret S] [--mixin-token T]`: runs the
 * connector's `login` (glimesh client credentials, talkee Mixin token exchange…) and stores the fields it
 * returns (token, expiry…) in the profile. Progress from the connector goes to stderr. Nothing secret is
 * printed. A connector without `login` is a usage error (exit 2).
 */
export function loginCommand(): Command {
  return new Command('login')
    .description("obtain a token for a profile and store it (services that have a login)")
    .addOption(profileOption())
    .option('--client-id <id>', 'OAuth client id (glimesh)')
    .option('--client-secret <secret>', 'OAuth client secret (glimesh)')
    .option('--mixin-token <token>', 'Mixin access token to exchange (talkee)')
    .action(async (o: { profile: string; clientId?: string; clientSecret?: string; mixinToken?: string }) => {
      const store = config();
      const profile = store.require(o.profile);
      registerProfileSecrets(profile);
      registerSecret(o.clientSecret);
      registerSecret(o.mixinToken);
      const def = getConnector(profile.service);
      if (!def) throw new UsageError(`unknown service "${profile.service}" in profile "${o.profile}"`);
      if (!def.login) throw new UsageError(`${def.displayName} has no login; store a token with: chat-tui profile add ${o.profile} --service ${def.id} --token … --force`);
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      let patch;
      try {
        const opts: Parameters<NonNullable<typeof def.login>>[1] = { say: (line) => errLine(line), signal: abort.signal };
        const clientId = o.clientId ?? profile.clientId;
        const clientSecret = o.clientSecret ?? profile.clientSecret;
        if (clientId !== undefined) opts.clientId = clientId;
        if (clientSecret !== undefined) opts.clientSecret = clientSecret;
        if (o.mixinToken !== undefined) opts.mixinToken = o.mixinToken;
        patch = await def.login(profile, opts);
      } catch (err) {
        throw err instanceof UsageError || err instanceof ChatError ? err : toChatError(err);
      } finally {
        process.off('SIGINT', stop);
      }
      registerProfileSecrets(patch);
      const save = { ...patch };
      if (o.clientId !== undefined && save.clientId === undefined) save.clientId = o.clientId;
      if (o.clientSecret !== undefined && save.clientSecret === undefined) save.clientSecret = o.clientSecret;
      // A fresh stored token replaces an env/cmd source so that exactly one credential remains.
      if (save.token) {
        (save as Record<string, unknown>).tokenEnv = undefined;
        (save as Record<string, unknown>).tokenCmd = undefined;
      }
      store.update(o.profile, save);
      const until = patch.tokenExpiresAt ? ` (valid until ${patch.tokenExpiresAt})` : '';
      out(`logged in: token stored in profile "${o.profile}"${until}`);
    });
}
