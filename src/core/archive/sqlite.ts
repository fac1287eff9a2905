import { createRequire } from 'node:module';
import type * as Sqlite from 'node:sqlite';

/**
 * Loads Node's built-in `node:sqlite` (no native addon to build). It needs no flag from Node 22.13 /
 * 23.4 on (nodejs/node#55890, "unflag sqlite module"), which is why `engines.node` says so. Node 22
 * still prints an `ExperimentalWarning` when the module is first loaded; it is not the user's concern,
 * so that one warning is filtered while the module loads (every other warning goes through).
 */

/** The `DatabaseSync` class of `node:sqlite`. */
export type DatabaseSync = Sqlite.DatabaseSync;
/** A prepared statement of `node:sqlite`. */
export type StatementSync = Sqlite.StatementSync;

let mod: typeof Sqlite | undefined;

/** Returns the `node:sqlite` module (loaded once). Throws when this Node has no `node:sqlite`. */
export function sqlite(): typeof Sqlite {
  if (mod) return mod;
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning as Error).name;
    if (type === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    mod = createRequire(import.meta.url)('node:sqlite') as typeof Sqlite;
  } finally {
    process.emitWarning = emit;
  }
  return mod;
}
