import { userModeration } from './moderate.js';

/** `/timeout USER`: times a user out (the service decides for how long). */
export const timeout = userModeration('timeout', 'time a user out (Glimesh: 5 minutes)');
