import { userModeration } from './moderate.js';

/** `/ban USER`: bans a user from the channel. */
export const ban = userModeration('ban', 'ban a user from the channel');
