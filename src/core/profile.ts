/**
 * A stored profile: one account on one service. Stored by src/config (conf, file mode 0600).
 * Secrets: exactly one of `token`, `tokenEnv` (name of an env var), `tokenCmd` (a shell command whose
 * stdout is the token) is used; `resolveSecret` in src/config turns them into a string at connect time.
 * Service-specific fields are optional here; each connector's `profileFields` says which it needs.
 */
export interface Profile {
  /** Registry id of the connector: `chatapi`, `glimesh`, `talkee`, `rooms`. */
  service: string;
  /** Base URL of the service (see each connector's default). */
  url?: string;
  token?: string;
  tokenEnv?: string;
  tokenCmd?: string;
  /** Rooms to open: chatapi room UUID, glimesh channel username or id, talkee slug, rooms room id. */
  rooms?: string[];
  /** chatapi: our user id / name on the socket query string. */
  userId?: string;
  userName?: string;
  /** glimesh: OAuth client id (read-only access when no token) and secret (client credentials login). */
  clientId?: string;
  clientSecret?: string;
  /** talkee: numeric site id (required) and API base URL. */
  siteId?: number;
  apiUrl?: string;
  /** rooms: user id → display name for posters the server names only by id. */
  aliases?: Record<string, string>;
  /** Allow plain ws:// / http:// to a non-loopback host. */
  insecure?: boolean;
  /** chatapi: send typing indicators (default true). */
  sendTyping?: boolean;
  /** chatapi: the server's protocol, `docs`, `socketio`, `v2` or `auto` (probe at the next connect); none: `docs`. */
  protocol?: string;
  /** When the stored token was obtained (ISO UTC) and when it expires (ISO UTC), for refresh. */
  tokenIssuedAt?: string;
  tokenExpiresAt?: string;
}

/** A profile together with its name, as handed to a connector. */
export interface NamedProfile extends Profile {
  name: string;
}
