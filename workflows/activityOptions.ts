import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Every activity an incident calls, with its timeouts and retries, in one table. Local activities run inside the
 * workflow task (no round trip through the server); they suit short calls whose answer the incident waits for.
 */
export const INCIDENT_ACTIVITY_OPTIONS = {
  // Enrichment and offence reads are short and tolerant: a failure costs a fact, never the response.
  enrich: { startToCloseTimeout: '10s', retry: { maximumAttempts: 3, initialInterval: '1s' } },
  offencesLocal: { startToCloseTimeout: '10s', retry: { maximumAttempts: 2, initialInterval: '1s' } },
  offencesRemote: { startToCloseTimeout: '30s', retry: { maximumAttempts: 5, initialInterval: '1s' } },
  // The breaker's count must be kept whatever happens, so admission retries until the control workflow answers.
  admissionLocal: { startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumAttempts: 2 } },
  admissionRemote: { startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumInterval: '10s' } },
  // A block request is a signal-with-start: short, so local. Guard refusals and bad parameters are final.
  applyLocal: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['AllowlistViolation', 'InvalidAddress', 'Protected', 'InvalidParameters', 'UnknownAction'] },
  },
  // Vendor calls (identity providers, EDRs, ticket systems) are tried once inside the workflow task, which costs the
  // server no task of its own when the vendor answers; a failure moves to the regular activity below (see localFirst).
  applyVendorLocal: {
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 1, nonRetryableErrorTypes: ['VendorRejected', 'Protected', 'InvalidParameters', 'UnknownAction'] },
  },
  // The patient retries honour Retry-After through nextRetryDelay; a 4xx is final.
  applyRemote: {
    startToCloseTimeout: '1m',
    retry: { initialInterval: '2s', maximumInterval: '5m', maximumAttempts: 10, nonRetryableErrorTypes: ['VendorRejected', 'Protected', 'InvalidParameters', 'UnknownAction'] },
  },
  // Undoing is what users fear being forgotten, so a revert keeps trying far longer than an apply.
  revert: {
    startToCloseTimeout: '1m',
    retry: { initialInterval: '2s', maximumInterval: '10m', maximumAttempts: 50, nonRetryableErrorTypes: ['VendorRejected', 'InvalidParameters', 'UnknownAction'] },
  },
  // Raising an incident from a workflow is one signal-with-start: short, and worth retrying until Temporal takes it.
  raise: { startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } },
  // A decision or verdict written to the audit file: local and short; a trail that stays down costs the report a fact.
  auditEvent: { startToCloseTimeout: '10s', retry: { initialInterval: '500ms', maximumAttempts: 5 } },
  // Notifications retry on their own schedule; their failure is recorded, never allowed to hold up containment.
  notify: { startToCloseTimeout: '20s', retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 6, nonRetryableErrorTypes: ['NotificationRejected'] } },
} satisfies Record<string, ActivityOptions | LocalActivityOptions>;

/** Action kinds applied as local activities: requests to Temporal itself. */
export const LOCAL_ACTIONS: ReadonlySet<string> = new Set(['block']);
