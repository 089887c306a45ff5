/**
 * The workers one process can run (RIPOSTE_WORKERS). A firewall host runs `enforcement` alone: it polls the
 * enforcement queue outbound and needs no inbound port; the main and control workers then run elsewhere.
 */
export const WORKER_ROLES = ['main', 'control', 'enforcement'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];
