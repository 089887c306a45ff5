import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActionPorts, IncidentBrief, IncidentMessenger } from '../../domain/actions/action.ts';
import { notify } from '../../domain/actions/notify.ts';

const incident: IncidentBrief = {
  id: 'impossible-travel:alice@example.org', playbook: 'impossible-travel', title: 'Impossible travel: alice@example.org', entity: 'alice@example.org',
  entityKind: 'user', alertCount: 2, severity: 5, mode: 'observe', status: 'containing', summary: 'summary', links: {},
  policyVersion: 'v', alertIds: [], actor: 'automation', enforcementPoints: [],
};

/** The messenger as the notify action sees it, recording what it was asked to send. */
function messenger(manager: Awaited<ReturnType<IncidentMessenger['managerOf']>>, configured: string[]) {
  const sent: Parameters<IncidentMessenger['send']>[0][] = [];
  const port: IncidentMessenger = {
    async send(input) {
      sent.push(input);
      return { sent: input.routes.filter((r) => configured.includes(r)), skipped: input.routes.filter((r) => !configured.includes(r)) };
    },
    managerOf: async () => manager,
  };
  return { sent, ports: { messenger: port } as unknown as ActionPorts };
}

describe('the notify action', () => {
  test('a manager with an e-mail and a Slack id is told on both, whatever routes the playbook lists, with the message', async () => {
    const { sent, ports } = messenger({ email: 'bob@example.org', slack: 'U024BE7LH' }, ['email', 'slack', 'webhook']);
    const result = await notify.apply(ports, { routes: ['webhook'], managerOf: 'alice@example.org', message: 'London then Seattle' }, incident);
    assert.deepEqual(sent[0]?.routes, ['webhook', 'email', 'slack']);
    assert.deepEqual([sent[0]?.recipients, sent[0]?.slackMentions, sent[0]?.incident.summary], [['bob@example.org'], ['U024BE7LH'], 'London then Seattle']);
    assert.deepEqual(result, { outcome: 'done', detail: 'sent to webhook, email, slack; manager bob@example.org and Slack U024BE7LH told' });
  });

  test('no manager known: the routes only, and the record says so', async () => {
    const { sent, ports } = messenger(undefined, ['webhook']);
    const result = await notify.apply(ports, { routes: ['webhook'], managerOf: 'alice@example.org' }, incident);
    assert.deepEqual([sent[0]?.routes, sent[0]?.recipients], [['webhook'], []]);
    assert.equal(result.detail, 'sent to webhook; no manager known for alice@example.org');
  });

  test('no route configured is skipped, not failed', async () => {
    const { ports } = messenger(undefined, []);
    assert.deepEqual(await notify.apply(ports, { routes: ['teams'] }, incident), { outcome: 'skipped', detail: 'no route configured (teams)' });
  });
});
