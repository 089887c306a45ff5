/** `riposte audit` and `riposte verdicts`: what Riposte did, and how often each playbook was right. */
import type { AuditRecord } from '../activities/audit/record.ts';
import type { CommandSpec } from './commands.ts';
import { clean } from './errors.ts';
import { table } from './format.ts';

export function formatAudit(records: AuditRecord[], truncated: boolean): string {
  if (records.length === 0) return 'no audit records';
  const rows = records.map((r) => [
    clean(r.at), clean(r.phase), clean(r.action), clean(r.target), clean(r.point ?? r.route ?? '-'), clean(r.result ?? '-'),
    clean(r.actor?.name ?? '-'), clean(r.trigger?.incidentId ?? '-'),
  ]);
  const lines = [table(['AT', 'PHASE', 'ACTION', 'TARGET', 'POINT', 'RESULT', 'BY', 'INCIDENT'], rows)];
  if (truncated) lines.push('(older records match too: raise --limit, or narrow with --incident)');
  return lines.join('\n');
}

export const auditCommand: CommandSpec = {
  name: 'audit',
  args: [],
  summary: 'show the audit trail: every action attempted, by whom, and its result',
  description: 'Prints the newest records of GET /v1/audit, oldest first: each attempt\'s before and after record, and the facts incidents recorded.',
  options: {
    incident: { type: 'string', value: 'ID', help: 'only the records of this incident (<playbook>:<entity>, as the API has it)' },
    limit: { type: 'string', value: 'N', help: 'at most N records (default 100, at most 1000)' },
  },
  api: true,
  async run({ api, values, print }) {
    const query = { incident: typeof values.incident === 'string' ? values.incident : undefined, limit: typeof values.limit === 'string' ? values.limit : undefined };
    const answer = await api().call<{ records: AuditRecord[]; truncated: boolean }>('GET', '/v1/audit', { query });
    print(values.json ? JSON.stringify(answer, null, 2) : formatAudit(answer.records, answer.truncated));
  },
};

export const verdictsCommand: CommandSpec = {
  name: 'verdicts',
  args: [],
  summary: 'count the verdicts per playbook: true and false positives',
  description: 'Prints GET /v1/verdicts: per playbook, the incidents analysts called true positives and false positives.',
  options: {},
  api: true,
  async run({ api, values, print }) {
    const answer = await api().call<{ playbooks: Record<string, { true_positive?: number; false_positive?: number }> }>('GET', '/v1/verdicts');
    const rows = Object.entries(answer.playbooks).map(([name, v]) => [clean(name), String(v.true_positive ?? 0), String(v.false_positive ?? 0)]);
    print(values.json ? JSON.stringify(answer, null, 2) : table(['PLAYBOOK', 'TRUE POSITIVES', 'FALSE POSITIVES'], rows));
  },
};
