import type { ConnectorDefinition } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';

/** PLACEHOLDER until the glimesh connector lands: every profile is refused with a usage error. */
export const definition: ConnectorDefinition = {
  id: 'glimesh',
  displayName: 'glimesh',
  capabilities: {
    history: false, typingSend: false, typingReceive: false, presence: false, edits: false,
    roomListing: false, dms: false, join: false, readOnly: true, moderation: false, atMentions: false,
  },
  profileFields: [],
  validate() {
    throw new UsageError('the glimesh connector is not available in this build');
  },
  create() {
    throw new UsageError('the glimesh connector is not available in this build');
  },
};
