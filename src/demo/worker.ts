/**
 * The demo server's worker thread (see thread.ts): starts the server with the options in `workerData`,
 * posts `{type: 'ready', info}` (or `{type: 'error', message, code}`), and closes the server when the
 * parent posts `'close'`, after which the thread ends by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startDemoServer, type DemoServerOptions } from './server.js';

/** What the worker posts to its parent. */
export type DemoWorkerMessage =
  | { type: 'ready'; info: { url: string; port: number; token: string; userId: string; userName: string; rooms: string[] } }
  | { type: 'error'; message: string; code?: string };

const port = parentPort;
if (port) {
  try {
    const server = await startDemoServer(workerData as DemoServerOptions);
    const { url, port: tcpPort, token, userId, userName, rooms } = server;
    port.postMessage({ type: 'ready', info: { url, port: tcpPort, token, userId, userName, rooms } } satisfies DemoWorkerMessage);
    port.on('message', (m: unknown) => {
      if (m !== 'close') return;
      void server.close().finally(() => port.close());
    });
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    const msg: DemoWorkerMessage = { type: 'error', message: String(e?.message ?? err) };
    if (typeof e?.code === 'string') msg.code = e.code;
    port.postMessage(msg);
    port.close();
  }
}
