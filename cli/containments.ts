/** `riposte containments`: the accounts, hosts and domains still contained, through /v1/containments. */
import type { HeldContainment } from '../domain/heldContainments.ts';
import type { CommandSpec } from './commands.ts';
import { clean } from './errors.ts';
import { table } from './format.ts';

export function formatContainments(containments: readonly HeldContainment[]): string {
  if (containments.length === 0) return 'no account, host or domain is contained';
  return table(['KIND', 'TARGET', 'SINCE', 'BY', 'INCIDENT'], containments.map((c) => [c.kind, c.target, c.at, c.by, c.incidentId ?? '-'].map(clean)));
}

export const containmentsCommand: CommandSpec = {
  name: 'containments',
  args: [],
  summary: 'list the accounts disabled, hosts isolated and domains blocklisted that Riposte has not undone',
  description: [
    'Lists what Riposte contained besides blocks (`riposte blocks` lists those), read from its audit trail: for each',
    'account, host or domain the newest successful apply or revert decides. Nothing here expires by itself: a',
    'false-positive verdict on the incident (`riposte verdict ID false_positive`) undoes it.',
  ].join('\n'),
  options: {},
  api: true,
  async run({ api, values, print }) {
    const answer = await api().call<{ containments: HeldContainment[] }>('GET', '/v1/containments');
    print(values.json ? JSON.stringify(answer, null, 2) : formatContainments(answer.containments));
  },
};
