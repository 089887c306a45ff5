import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeAlerts } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const workspace = '/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg/providers/Microsoft.OperationalInsights/workspaces/myWorkspace/providers/Microsoft.SecurityInsights';

// An incident resource as the Incidents REST API documents it (Incidents - Get, api-version 2023-02-01:
// https://learn.microsoft.com/en-us/rest/api/securityinsights/incidents/get), with the related entities the incident
// trigger adds in the entity shapes of the Entities API (kind + properties; the kinds of
// https://learn.microsoft.com/en-us/azure/sentinel/entities-reference). Addresses are documentation ones.
const incident = {
  id: `${workspace}/Incidents/73e01a99-5cd7-4139-a149-9f2736ff2ab5`,
  name: '73e01a99-5cd7-4139-a149-9f2736ff2ab5',
  etag: '"0300bf09-0000-0000-0000-5c37296e0000"',
  type: 'Microsoft.SecurityInsights/Incidents',
  properties: {
    title: 'SSH - Potential Brute Force',
    description: 'Identifies an IP address that had 15 failed attempts to sign in via SSH in a 4 hour block during a 24 hour time period.',
    severity: 'Low',
    status: 'New',
    owner: { objectId: '2046feea-040d-4a46-9e2b-91c2941bfa70', email: 'john.doe@contoso.com', assignedTo: 'john doe', userPrincipalName: 'john@contoso.com' },
    labels: [],
    firstActivityTimeUtc: '2019-01-01T13:00:30Z',
    lastActivityTimeUtc: '2019-01-01T13:05:30Z',
    lastModifiedTimeUtc: '2019-01-01T13:15:30Z',
    createdTimeUtc: '2019-01-01T13:15:30.1234567Z',
    incidentNumber: 3177,
    additionalData: { alertsCount: 1, bookmarksCount: 0, commentsCount: 0, alertProductNames: ['Azure Sentinel'], tactics: ['CredentialAccess'] },
    relatedAnalyticRuleIds: [`${workspace}/alertRules/fab3d2d4-747f-46a7-8ef0-9c0be8112bf7`],
    incidentUrl: 'https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg/providers/Microsoft.OperationalInsights/workspaces/myWorkspace/providers/Microsoft.SecurityInsights/Incidents/73e01a99-5cd7-4139-a149-9f2736ff2ab5',
    relatedEntities: [
      { id: `${workspace}/Entities/e1d3d618-e11f-478b-98e3-bb381539a8e1`, name: 'e1d3d618-e11f-478b-98e3-bb381539a8e1', type: 'Microsoft.SecurityInsights/Entities', kind: 'Host', properties: { hostName: 'CORP-WEB-01', dnsDomain: 'corp.example', friendlyName: 'CORP-WEB-01' } },
      { id: `${workspace}/Entities/359709e1-ea53-b7d5-8435-338e856d5cb4`, name: '359709e1-ea53-b7d5-8435-338e856d5cb4', type: 'Microsoft.SecurityInsights/Entities', kind: 'Ip', properties: { address: '203.0.113.60', friendlyName: '203.0.113.60' } },
      { id: `${workspace}/Entities/0f5d6a33-0a4e-4f8e-8a55-3e0ec7e6f2a1`, name: '0f5d6a33-0a4e-4f8e-8a55-3e0ec7e6f2a1', type: 'Microsoft.SecurityInsights/Entities', kind: 'Account', properties: { accountName: 'root', ntDomain: 'CORP-WEB-01', friendlyName: 'root' } },
    ],
  },
};

// The "Microsoft Sentinel incident" trigger's body, which the HTTP action posts with `@{triggerBody()}`
// (https://learn.microsoft.com/en-us/azure/sentinel/automation/playbook-triggers-actions): the incident in `object`.
const triggerBody = {
  eventUniqueId: 'e6b3b5a4-9f63-4b83-8a76-2b39ef5b0d67',
  objectSchemaType: 'Incident',
  objectEventType: 'Create',
  workspaceInfo: { SubscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0', ResourceGroupName: 'myRg', WorkspaceName: 'myWorkspace' },
  workspaceId: '8d300aff-d535-4430-9eef-3046965c48cf',
  object: incident,
};

type Properties = Record<string, unknown>;
const withProperties = (changes: Properties) => ({ ...incident, properties: { ...incident.properties, ...changes } });
const entity = (kind: string, properties: Properties) => ({ type: 'Microsoft.SecurityInsights/Entities', kind, properties });

describe('sentinel source: the incident trigger body', () => {
  test('becomes one alert of the incident: its name as the id, its first address, account and host', () => {
    const [alert, ...rest] = normalizeAlerts('sentinel', triggerBody, receivedAt);
    assert.equal(rest.length, 0);
    assert.ok(alert);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: '73e01a99-5cd7-4139-a149-9f2736ff2ab5',
      source: 'sentinel',
      type: 'auth.failure',
      severity: 3,
      description: `Sentinel incident 3177: SSH - Potential Brute Force. ${incident.properties.description}`,
      sourceIp: '203.0.113.60',
      user: 'corp-web-01\\root',
      host: 'corp-web-01',
      count: 1,
      occurredAt: '2019-01-01T13:15:30.123Z',
      raw: undefined,
    });
    assert.equal(alert.raw?.name, incident.name, 'raw is the incident');
    assert.equal(alert.raw?.workspaceInfo, undefined, 'not the trigger around it');
    assert.equal(findPlaybook(alert)?.name, 'brute-force');
  });

  test('the incident alone (`@{triggerBody()?[\'object\']}`) gives the same alert', () => {
    assert.deepEqual(normalizeAlerts('sentinel', incident, receivedAt), normalizeAlerts('sentinel', triggerBody, receivedAt));
  });

  test('severities map High 8, Medium 5, Low 3, Informational 2, as the other SIEMs\' names do', () => {
    for (const [severity, expected] of [['High', 8], ['Medium', 5], ['Low', 3], ['Informational', 2]] as const) {
      assert.equal(normalizeAlerts('sentinel', withProperties({ severity }), receivedAt)[0]?.severity, expected);
    }
  });

  test('accounts: accountName@upnSuffix, NTDOMAIN\\accountName, the Entra object id; an unusable name gives way to the next account', () => {
    const accountOf = (...accounts: Properties[]) => normalizeAlerts('sentinel', withProperties({ relatedEntities: accounts.map((p) => entity('Account', p)) }), receivedAt)[0]?.user;
    assert.equal(accountOf({ accountName: 'Alice', upnSuffix: 'Contoso.example', aadUserId: '8f5c1b2e-0000-4000-8000-000000000001' }), 'alice@contoso.example');
    assert.equal(accountOf({ accountName: 'administrator', ntDomain: 'CORP' }), 'corp\\administrator');
    assert.equal(accountOf({ aadUserId: '8f5c1b2e-0000-4000-8000-000000000001' }), '8f5c1b2e-0000-4000-8000-000000000001');
    assert.equal(accountOf({ accountName: 'John Smith' }, { accountName: 'jsmith', upnSuffix: 'contoso.example' }), 'jsmith@contoso.example');
    assert.equal(accountOf({ displayName: 'Nobody' }), undefined);
  });

  test('the first address is the incident\'s; URLs and DNS names are read too, other kinds kept in raw only', () => {
    const [alert] = normalizeAlerts('sentinel', withProperties({
      relatedEntities: [
        entity('FileHash', { algorithm: 'SHA256', hashValue: 'abc' }),
        entity('Ip', { address: '2001:DB8::5' }),
        entity('Ip', { address: '198.51.100.9' }),
        entity('Url', { url: 'HTTPS://Login.Evil.example/path' }),
        entity('DnsResolution', { domainName: 'Evil.example' }),
      ],
    }), receivedAt);
    assert.deepEqual([alert?.sourceIp, alert?.url, alert?.domain, alert?.user, alert?.host], ['2001:db8::5', 'https://login.evil.example/path', 'evil.example', undefined, undefined]);
  });

  test('an incident without entities is still an alert, one no address-based playbook takes', () => {
    const [alert] = normalizeAlerts('sentinel', withProperties({ relatedEntities: undefined }), receivedAt);
    assert.equal(alert?.sourceIp, undefined);
    assert.equal(alert && findPlaybook(alert), undefined);
  });
});

describe('sentinel source: alert types', () => {
  test('an unmapped title passes through as sentinel.<title>', () => {
    const [alert] = normalizeAlerts('sentinel', withProperties({ title: 'Rare RDP Connections' }), receivedAt);
    assert.equal(alert?.type, 'sentinel.rare-rdp-connections');
  });

  test('the policy maps a title, a product or a tactic, the title first', () => {
    const body = withProperties({ title: 'Suspicious sign-ins', additionalData: { alertProductNames: ['Microsoft Defender for Identity'], tactics: ['InitialAccess', 'CredentialAccess'] } });
    const typeWith = (types: Record<string, string>) => normalizeAlerts('sentinel', body, receivedAt, { sources: { sentinel: { types } } })[0]?.type;
    assert.equal(typeWith({ 'tactic:CredentialAccess': 'auth.failure' }), 'auth.failure');
    assert.equal(typeWith({ 'tactic:CredentialAccess': 'auth.failure', 'product:Microsoft Defender for Identity': 'account.compromise' }), 'account.compromise');
    assert.equal(typeWith({ 'product:Microsoft Defender for Identity': 'account.compromise', 'title:Suspicious sign-ins': 'auth.failure' }), 'auth.failure');
  });

  test('the policy wins over a stock title', () => {
    const [alert] = normalizeAlerts('sentinel', triggerBody, receivedAt, { sources: { sentinel: { types: { 'title:SSH - Potential Brute Force': 'sentinel.watch-only' } } } });
    assert.equal(alert?.type, 'sentinel.watch-only');
  });

  test('a closed incident is recorded as sentinel.closed and matches no playbook, whatever its title maps to', () => {
    const [alert] = normalizeAlerts('sentinel', withProperties({ status: 'Closed' }), receivedAt);
    assert.equal(alert?.type, 'sentinel.closed');
    assert.equal(alert && findPlaybook(alert), undefined);
  });
});

describe('sentinel source: malformed bodies are refused with the vendor path', () => {
  const trigger = (changes: Properties) => ({ ...triggerBody, object: withProperties(changes) });
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no title', trigger({ title: undefined }), ['object.properties.title']],
    ['a severity Sentinel has not', trigger({ severity: 'Critical' }), ['object.properties.severity']],
    ['the incident number as text', trigger({ incidentNumber: '3177' }), ['object.properties.incidentNumber']],
    ['a creation time that is no time', trigger({ createdTimeUtc: 'today' }), ['object.properties.createdTimeUtc']],
    ['a status Sentinel has not', trigger({ status: 'Open' }), ['object.properties.status']],
    ['entities as an object', trigger({ relatedEntities: { kind: 'Ip' } }), ['object.properties.relatedEntities']],
    ['an entity without a kind', trigger({ relatedEntities: [{ properties: { address: '203.0.113.1' } }] }), ['object.properties.relatedEntities[0].kind']],
    ['an address as a number', trigger({ relatedEntities: [entity('Host', { hostName: 'web' }), entity('Ip', { address: 3405803783 })] }), ['object.properties.relatedEntities[1].properties.address']],
    ['an ambiguous address', trigger({ relatedEntities: [entity('Ip', { address: '127.1' })] }), ['object.properties.relatedEntities[0].properties.address']],
    ['an Ip entity without properties', trigger({ relatedEntities: [{ kind: 'Ip' }] }), ['object.properties.relatedEntities[0].properties']],
    ['an account name as a number', trigger({ relatedEntities: [entity('Account', { accountName: 42 })] }), ['object.properties.relatedEntities[0].properties.accountName']],
    ['tactics as text', trigger({ additionalData: { tactics: 'CredentialAccess' } }), ['object.properties.additionalData.tactics']],
    ['the trigger without the incident\'s name', { ...triggerBody, object: { properties: incident.properties } }, ['object.name']],
    ['the trigger with no properties', { ...triggerBody, object: { name: 'x' } }, ['object.properties']],
    ['the bare incident without a title', withProperties({ title: '' }), ['properties.title']],
    ['the Logic App\'s trigger outputs (headers and body) instead of its body', { headers: {}, body: triggerBody }, ['name', 'properties']],
    ['a list of incidents, one bad', [triggerBody, withProperties({ severity: 2 })], ['[1].properties.severity']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('sentinel', body), paths));
  }
});
