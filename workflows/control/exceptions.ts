import { condition, defineUpdate, proxyActivities, setHandler, uuid4 } from '@temporalio/workflow';
import type { ExceptionActivities } from '../../activities/exceptions.ts';
import { EXCEPTION_KINDS } from '../../domain/acceptedValues.ts';
import { canonicalExceptionValue, type Exception, expiryRefusal, isLive, liveExceptions, type NewException, nextExpiry } from '../../domain/exceptions.ts';

/** Adds an exception and lifts the live blocks it covers; answers once both are done. */
export const addExceptionUpdate = defineUpdate<{ exception: Exception; lifted: string[] }, [NewException]>('addException');
/** Ends an exception before its time; answers it, or null when no live exception has that id. */
export const removeExceptionUpdate = defineUpdate<Exception | null, [{ id: string; by: string }]>('removeException');

// Lifting and the audit trail must happen whatever the outage: retried until they do.
const { exceptionAdded, exceptionEnded } = proxyActivities<ExceptionActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Refuses what the API would have refused, so an update sent another way (the Temporal UI) cannot plant a bad entry. */
function validateNew(input: NewException): void {
  if (!EXCEPTION_KINDS.includes(input.kind)) throw new Error(`kind: one of ${EXCEPTION_KINDS.join(', ')}`);
  if (canonicalExceptionValue(input.kind, input.value) !== input.value) throw new Error('value: not in its canonical form');
  const refusal = expiryRefusal(Date.parse(input.expiresAt), Date.now());
  if (refusal) throw new Error(`expiresAt: ${refusal}`);
}

/**
 * The control workflow's exceptions: held in its state, added and removed by updates, each ended by the one timer of
 * the nearest expiry. With none (every run from before they existed) no timer and no activity is ever scheduled.
 */
export function exceptionsOf(carried: readonly Exception[] = []) {
  let exceptions = [...carried];
  let changes = 0;

  setHandler(addExceptionUpdate, async (input) => {
    const exception: Exception = { id: uuid4(), ...input, createdAt: new Date().toISOString() };
    exceptions.push(exception);
    changes++;
    return { exception, lifted: await exceptionAdded(exception) };
  }, { validator: validateNew });

  setHandler(removeExceptionUpdate, async ({ id, by }) => {
    const exception = exceptions.find((e) => e.id === id && isLive(e, Date.now()));
    if (!exception) return null;
    exceptions = exceptions.filter((e) => e !== exception);
    changes++;
    await exceptionEnded({ exception, how: 'removed', by });
    return exception;
  });

  async function expireDue(): Promise<void> {
    const now = Date.now();
    const due = exceptions.filter((e) => !isLive(e, now));
    if (due.length === 0) return;
    exceptions = exceptions.filter((e) => isLive(e, now));
    await Promise.all(due.map((exception) => exceptionEnded({ exception, how: 'expired', by: exception.by })));
  }

  return {
    live: () => liveExceptions(exceptions, Date.now()),
    /** What a continuation carries: the ones not yet ended. */
    carry: () => [...exceptions],
    /** Ends each exception at its expiry until `done` says the run should stop. */
    async expireUntil(done: () => boolean): Promise<void> {
      for (;;) {
        const seen = changes;
        const woken = () => done() || changes !== seen;
        const next = nextExpiry(exceptions);
        if (next === undefined) await condition(woken);
        else await condition(woken, Math.max(1, next - Date.now()));
        if (done()) return;
        await expireDue();
      }
    },
  };
}
