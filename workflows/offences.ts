import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { MAX_OFFENCE_MEMORY_MS } from '../domain/policy.ts';
import { type Offence, offenceSignal, offencesQuery } from './offenceMessages.ts';
/** Beyond this many offences the ladder is on its last step anyway; the bound keeps the history small. */
export const MAX_OFFENCES_KEPT = 50;

export interface OffenceHistoryInput {
  address: string;
  /** Carried across continue-as-new. */
  offences?: Offence[];
}

/**
 * The offences of one address, `offences:<address>`, for the repeat-offender ladder. Kept in Temporal so it survives
 * every process; it ends by itself once its newest offence is older than the longest memory a policy may set.
 */
export async function offenceHistoryWorkflow({ address, offences: carried = [] }: OffenceHistoryInput): Promise<void> {
  let offences = carried;
  setHandler(offenceSignal, (offence) => {
    offences = withOffence(offences, offence);
  });
  setHandler(offencesQuery, () => offences);

  for (;;) {
    const known = offences;
    // Until the first offence arrives (signal-with-start delivers it with the start), the history counts from now.
    const forgetAt = (known.at(-1)?.endedAt ?? Date.now()) + MAX_OFFENCE_MEMORY_MS;
    if (Date.now() >= forgetAt) return;
    await condition(() => offences !== known || workflowInfo().continueAsNewSuggested, forgetAt - Date.now());
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof offenceHistoryWorkflow>({ address, offences });
    }
  }
}

/** An activity retried after its signal got through sends the same offence again: it must count once. */
function withOffence(offences: Offence[], offence: Offence): Offence[] {
  if (offences.some((o) => o.endedAt === offence.endedAt && o.blockWorkflowId === offence.blockWorkflowId)) return offences;
  return [...offences, offence].sort((a, b) => a.endedAt - b.endedAt).slice(-MAX_OFFENCES_KEPT);
}
