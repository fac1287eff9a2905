import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DemoServer, DemoServerOptions } from './server.js';
import type { DemoWorkerMessage } from './worker.js';

/** How long `close()` waits for the worker to close its server before it ends the thread (ms). */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Starts the demo server (server.ts) in a worker thread: `chat-tui demo` then runs like a client of a
 * real server — the simulation, its HTTP and WebSocket work and its start-up run on their own thread
 * (the second core where there is one), not on the TUI's event loop (issue 8 `startup_ms`: the TUI's
 * thread no longer loads and starts the server before its first frame).
 *
 * Takes the same options as `startDemoServer`; resolves with the same shape once the server listens.
 * Rejects with the server's own error (its `message` and `code`, e.g. EADDRINUSE for a busy `--port`),
 * or when the thread cannot start. `close()` asks the thread to close the server and waits for the
 * thread to end (at most {@link CLOSE_TIMEOUT_MS}, then it is terminated); it never rejects.
 */
export function startDemoServerThread(opts: DemoServerOptions = {}): Promise<DemoServer> {
  // Built: dist/demo/worker.js. Under tsx (tests): src/demo/worker.ts, with tsx inherited through execArgv.
  let url = new URL('./worker.js', import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) url = new URL('./worker.ts', import.meta.url);
  const worker = new Worker(url, { workerData: opts });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<DemoServer>((resolve, reject) => {
    const fail = (err: Error): void => {
      void worker.terminate();
      reject(err);
    };
    worker.once('message', (m: DemoWorkerMessage) => {
      if (m.type === 'ready') return resolve({ ...m.info, close });
      fail(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
    });
    worker.once('error', (err) => fail(err));
    void exited.then(() => reject(new Error('the demo server thread ended before it started')));
  });
}
