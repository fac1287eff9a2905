import type { ConnectorDefinition } from '../core/connector.js';
import { definition as chatapi } from './chatapi/index.js';
import { definition as glimesh } from './glimesh/index.js';
import { definition as rooms } from './rooms/index.js';
import { definition as talkee } from './talkee/index.js';

/** The connector registry: one definition per service, in the order `--help` lists them. */
export const connectors: readonly ConnectorDefinition[] = [chatapi, glimesh, talkee, rooms];

/** The definition for a service id, or undefined when unknown. */
export function getConnector(id: string): ConnectorDefinition | undefined {
  return connectors.find((c) => c.id === id);
}
