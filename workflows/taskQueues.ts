/** Default task queue for incident and block workflows and their light activities. */
export const MAIN_TASK_QUEUE = 'riposte';
/** Enforcement runs on its own queue so the server can rate-limit it and firewall hosts can poll it. */
export const ENFORCEMENT_TASK_QUEUE = 'riposte-enforcement';
