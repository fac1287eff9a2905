/**
 * Side-effect module imported FIRST by run.tsx (ES modules evaluate imports in order): React picks its
 * development or production build from NODE_ENV when it is first loaded, and the development build
 * costs about a third more CPU per frame under a message flood. The TUI runs React in
 * production mode unless NODE_ENV says otherwise.
 *
 * It also sets the TUI process's memory policy (src/core/heap.ts, bench `rss_100k_mb`): a young
 * generation bounded to 8 MiB (src/cli/main.ts already did it for the CLI; this covers other callers of
 * runTui) and, in a terminal, the idle memory reducer.
 */
import { boundYoungGeneration, startHeapReducer } from '../core/heap.js';

if (!process.env['NODE_ENV']) process.env['NODE_ENV'] = 'production';
boundYoungGeneration();
if (process.stdout.isTTY) startHeapReducer();
export {};
