import type { ConnectorDefinition } from '../core/connector.js';

/**
 * The connector registry's lazy side: the service ids in `--help` order and a loader per service, so
 * that the TUI imports only the connectors its profiles use before the first frame (each connector is
 * 7-17 modules and its libraries; bench `warm_start_vs_ink_floor`). src/connectors/index.ts is the eager
 * side (every definition, for the headless commands); test/unit/connectors-registry.test.ts keeps the
 * two the same.
 */

/** Every service id, in the order `--help` lists them. */
export const SERVICE_IDS = ['chatapi', 'glimesh', 'talkee', 'rooms'] as const;

const loaders: Record<(typeof SERVICE_IDS)[number], () => Promise<ConnectorDefinition>> = {
  chatapi: async () => (await import('./chatapi/index.js')).definition,
  glimesh: async () => (await import('./glimesh/index.js')).definition,
  talkee: async () => (await import('./talkee/index.js')).definition,
  rooms: async () => (await import('./rooms/index.js')).definition,
};

/** The definition of service `id`, imported on first use; undefined for an unknown id. Rejects when the import fails. */
export function loadConnector(id: string): Promise<ConnectorDefinition | undefined> {
  return Object.hasOwn(loaders, id) ? loaders[id as (typeof SERVICE_IDS)[number]]() : Promise.resolve(undefined);
}
