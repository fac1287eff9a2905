import type { ServiceTraits } from '../../core/connector.js';
import type { Backoff } from '../../core/reconnect.js';
import { MAX_MESSAGE_GRAPHEMES, MAX_PAGE } from './wire.js';

/*
 * What a Glimesh session can do (facts §4, §6), and its tunables.
 */

/** Tunables, for tests (times in ms). */
export interface GlimeshSessionOptions {
  /** Phoenix heartbeat interval; a missing reply by the next beat means reconnect (default 30 000, facts §3). */
  heartbeatIntervalMs?: number;
  /** A push (doc, join) without a reply fails after this long (default 10 000, phoenix's default). */
  pushTimeoutMs?: number;
  /** HTTP request time limit (default 20 000). */
  httpTimeoutMs?: number;
  /** Messages per backfill page (default 250, at most 1000) and most pages per backfill (default 20). */
  backfillPageSize?: number;
  backfillMaxPages?: number;
  /** Backoff factory for socket reconnects and control rejoins (default: core Backoff). */
  backoff?: () => Backoff;
}

/**
 * What Glimesh sends and allows that no session method shows (facts §4, §6): no typing, presence, edits
 * or deletion events; messages of at most 255 graphemes; history pages of at most 1000. History, joins
 * and moderation are capabilities because the session implements them (`capabilitiesOf`); whether the
 * account may moderate a channel cannot be asked (no `moderators` field we can rely on, and scopes are
 * not introspectable), so a token profile offers it and a refusal is reported clearly.
 */
export const GLIMESH_TRAITS: ServiceTraits = {
  historyPageSize: MAX_PAGE,
  typingReceive: false,
  presence: false,
  edits: false,
  readOnly: false,
  atMentions: true,
  maxMessageLength: MAX_MESSAGE_GRAPHEMES,
};
