/**
 * Side-effect module imported FIRST by run.tsx (ES modules evaluate imports in order): React picks its
 * development or production build from NODE_ENV when it is first loaded, and the development build
 * costs about a third more CPU per frame under a message flood (issue 8). The TUI runs React in
 * production mode unless NODE_ENV says otherwise.
 *
 * It also sets the TUI process's memory policy (heap.ts, issue 8 `rss_100k_mb`): a young generation
 * bounded to 8 MiB — allowed to grow only once the modules are loaded (bin/chat-tui.js keeps it at its
 * initial size until then; its GC observer cannot run during the synchronous module evaluation) — and,
 * in a terminal, the idle memory reducer.
 */
import { boundYoungGeneration, startHeapReducer } from './heap.js';

if (!process.env['NODE_ENV']) process.env['NODE_ENV'] = 'production';
setImmediate(() => boundYoungGeneration());
if (process.stdout.isTTY) startHeapReducer();
export {};
