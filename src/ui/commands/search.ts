import { fail } from './types.js';
import type { SlashCommand } from './types.js';

/** `/search TEXT`: searches the local archive; the hits open in an overlay (Enter shows one in its room). */
export const search: SlashCommand = {
  name: 'search',
  usage: 'TEXT',
  description: 'search the archive (all words; Enter shows a hit in its room)',
  minArgs: 1,
  run: (ctx, { rest }) => {
    // An empty search is [] with an archive and undefined without one.
    if (!ctx.openSearch || ctx.runtime.searchArchive?.('') === undefined) return fail(ctx, '/search: no archive (it is turned off, or could not be opened)');
    ctx.openSearch(rest);
  },
};
