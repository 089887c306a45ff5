/** `riposte simulate`: exported SIEM alerts through the production normalisers, playbooks and policy, on this machine. */
// domain/alert.ts names every source api/sources/ has, without loading the API's modules (and Temporal's client).
import { ALERT_SOURCES } from '../domain/acceptedValues.ts';
import type { CommandSpec } from './commands.ts';

export const simulateCommand: CommandSpec = {
  name: 'simulate',
  args: [],
  summary: 'replay exported alerts through a policy, and compare it with another, without acting',
  description: [
    'Reads --alerts, one SIEM body per line in the source\'s own format (a line may hold an array of them), through',
    'the normaliser the ingest API uses for --source, then the playbooks and --policy, as the incident workflow would',
    'decide: without Temporal, without the API, and without acting. Each line counts as one request: an incident',
    'decides on the line that brings it to its playbook\'s thresholds, at the time its alerts say they happened.',
    'Prints what would be done at once, what would wait for approval, what observe mode only records, and what the',
    'allowlist or protect list refuses, per action and per incident. --against compares with another policy (the one',
    'running now): what only the new policy does, what only the current one did, and what each decides differently.',
    'GeoIP, reputation and Riposte\'s own history of the entity are not read; --previous-incidents and',
    '--prior-offences say what to assume (default 0). See docs/simulate.md.',
    '',
    'Exit status: 0 every line simulated; 1 a policy or the alerts file could not be read, or some lines were refused',
    '(each named with its line and field on stderr; the other lines are still simulated); 2 usage error.',
  ].join('\n'),
  options: {
    alerts: { type: 'string', value: 'FILE', help: 'exported alerts: JSON lines, one SIEM body per line', required: true },
    source: { type: 'string', value: 'NAME', help: `the format of the lines: ${ALERT_SOURCES.join(', ')} (default generic)` },
    policy: { type: 'string', value: 'FILE', help: 'the policy to simulate (YAML, as config/policy.yaml)', required: true },
    against: { type: 'string', value: 'FILE', help: 'the policy to compare with, e.g. the one running now' },
    'previous-incidents': { type: 'string', value: 'N', help: 'earlier incidents each entity had (default 0)' },
    'prior-offences': { type: 'string', value: 'N', help: 'earlier blocks each address served to expiry (default 0)' },
    json: { type: 'boolean', help: 'print the simulation as JSON' },
  },
  api: false,
  async run({ values, print }) {
    const { simulate } = await import('./simulateRun.ts');
    await simulate(values, print);
  },
};
