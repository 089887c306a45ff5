import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type AttemptDescription, type AuditRecord, type AuditResult, type AuditSink, baseRecord, clip, currentActivity, recordId } from './record.ts';

/** Temporal reports this type when the audit store cannot take a record; it is retryable, like any storage hiccup. */
export const AUDIT_UNAVAILABLE = 'AuditUnavailable';

export interface AuditedOptions<T> {
  /** Maps a resolved value to its result; default `success`. */
  resultOf?: (value: T) => { result: AuditResult; error?: string };
}

/**
 * Runs one containment or notification attempt between a `before` and an `after` record.
 *
 * - No record, no action: when the `before` record cannot be stored, nothing is attempted and the activity fails
 *   (retryably), so nothing happens that the trail does not show.
 * - The `after` record carries the result, or the error the attempt failed with, which is then rethrown unchanged.
 * - When the `after` record of a successful attempt cannot be stored the activity fails retryably too; every call
 *   wrapped here is idempotent, so the retry repeats it harmlessly and records it under its own attempt.
 */
export async function audited<T>(sink: AuditSink, attempt: AttemptDescription, run: () => Promise<T>, options: AuditedOptions<T> = {}): Promise<T> {
  const activity = currentActivity();
  const base = baseRecord(attempt, activity);
  const make = (phase: AuditRecord['phase'], extra: Partial<AuditRecord> = {}): AuditRecord => ({
    id: recordId(activity, phase),
    at: new Date().toISOString(),
    phase,
    ...base,
    ...extra,
  });

  try {
    await sink.append([make('before')]);
  } catch (err) {
    throw ApplicationFailure.retryable(`audit record not stored, so ${attempt.action} was not attempted: ${(err as Error).message}`, AUDIT_UNAVAILABLE);
  }

  const started = Date.now();
  let value: T;
  try {
    value = await run();
  } catch (err) {
    const error = clip(rootMessage(err));
    try {
      await sink.append([make('after', { result: 'failure', error, durationMs: Date.now() - started })]);
    } catch (auditErr) {
      log.error('audit after-record not stored', { action: attempt.action, target: attempt.target, error: (auditErr as Error).message });
    }
    throw err;
  }

  const { result, error } = options.resultOf?.(value) ?? { result: 'success' as const };
  try {
    await sink.append([make('after', { result, ...(error ? { error: clip(error) } : {}), durationMs: Date.now() - started })]);
  } catch (err) {
    throw ApplicationFailure.retryable(`${attempt.action} done but its audit record not stored: ${(err as Error).message}`, AUDIT_UNAVAILABLE);
  }
  return value;
}

function rootMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(err);
}

/**
 * `audited` for a batch: every attempt's `before` record in one append (one fsync), the attempts run together, then
 * every `after` record in one append. Settles each attempt on its own, so one target's failure never hides another's
 * success; throws (retryably, attempting nothing) only when the `before` records cannot be stored.
 */
export async function auditedEach<T>(sink: AuditSink, attempts: readonly AttemptDescription[], run: (attempt: AttemptDescription, index: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const activity = currentActivity();
  const records = attempts.map((attempt) => {
    const base = baseRecord(attempt, activity);
    const item = `${attempt.point ?? ''}|${attempt.action}|${attempt.target}`;
    return (phase: AuditRecord['phase'], extra: Partial<AuditRecord> = {}): AuditRecord => ({ id: recordId(activity, phase, item), at: new Date().toISOString(), phase, ...base, ...extra });
  });
  if (attempts.length === 0) return [];
  try {
    await sink.append(records.map((make) => make('before')));
  } catch (err) {
    throw ApplicationFailure.retryable(`audit records not stored, so ${attempts.length} ${attempts[0]!.action} calls were not attempted: ${(err as Error).message}`, AUDIT_UNAVAILABLE);
  }
  const started = Date.now();
  const results = await Promise.allSettled(attempts.map((attempt, i) => run(attempt, i)));
  const durationMs = Date.now() - started;
  const after = results.map((result, i) => records[i]!('after', result.status === 'fulfilled'
    ? { result: 'success', durationMs }
    : { result: 'failure', error: clip(rootMessage(result.reason)), durationMs }));
  try {
    await sink.append(after);
  } catch (err) {
    throw ApplicationFailure.retryable(`${attempts[0]!.action} calls done but their audit records not stored: ${(err as Error).message}`, AUDIT_UNAVAILABLE);
  }
  return results;
}
