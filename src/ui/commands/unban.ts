import { userModeration } from './moderate.js';

/** `/unban USER`: lifts a ban. */
export const unban = userModeration('unban', 'lift a ban');
