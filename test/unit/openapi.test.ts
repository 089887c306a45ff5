import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ACCESS_RULES, keyRoleFor } from '../../api/access.ts';
import { openApiDocument, openApiPath } from '../../api/openapi/document.ts';
import { MAX_BLOCKS_PER_REQUEST } from '../../domain/acceptedValues.ts';
import { INCIDENT_STATUSES, VERDICTS } from '../../domain/incident.ts';
import { alertSources, SUPPORTED_SOURCES } from '../../api/sources/index.ts';

const document = openApiDocument() as any;
const operationOf = (method: string, path: string) => document.paths[openApiPath(path)]?.[method.toLowerCase()];

/** Every value under `key` anywhere in the document. */
function valuesOf(key: string, node: unknown = document): unknown[] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => [...(k === key ? [v] : []), ...valuesOf(key, v)]);
}

test('the document is valid OpenAPI 3.1, and the validator refuses a broken copy', async () => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, '3.1');

  const broken = structuredClone(document);
  broken.paths['/v1/incidents/{id}'].get.parameters[0].in = 'body';
  assert.equal((await new Validator().validate(broken)).valid, false, 'a Swagger 2 body parameter is refused');
});

test('every route in the access table is documented, and nothing else is', () => {
  const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`));
  const routes = ACCESS_RULES.map((rule) => `${rule.method} ${openApiPath(rule.path)}`);
  assert.deepEqual([...documented].sort(), [...routes].sort());
  for (const rule of ACCESS_RULES) assert.ok(operationOf(rule.method, rule.path).summary, `${rule.method} ${rule.path} has a summary`);
});

test('each operation asks for exactly the credentials its access rule accepts', () => {
  const keySchemes = ['apiKey', 'apiKeyHeader', 'apiKeyBasic'];
  const declared = Object.keys(document.components.securitySchemes);
  for (const rule of ACCESS_RULES) {
    const operation = operationOf(rule.method, rule.path);
    const what = `${rule.method} ${rule.path} (${rule.access})`;
    const requirements: Record<string, string[]>[] = operation.security;
    const schemes = requirements.flatMap((requirement) => Object.keys(requirement));
    const roles = new Set(requirements.flatMap((requirement) => Object.values(requirement).flat()));
    for (const scheme of schemes) assert.ok(declared.includes(scheme), `${what}: ${scheme} is declared`);
    if (rule.access === 'public') {
      assert.deepEqual(requirements, [], what);
      assert.equal(operation.responses['401'], undefined, `${what} refuses no credential`);
      continue;
    }
    assert.ok(operation.responses['401'], `${what} documents 401`);
    if (rule.access === 'slack') {
      assert.deepEqual(requirements, [{ slackSignature: [] }], what);
      continue;
    }
    assert.ok(operation.responses['403'], `${what} documents 403`);
    assert.ok(keySchemes.every((scheme) => schemes.includes(scheme)), `${what} takes an API key in every place the guard reads one`);
    const role = keyRoleFor(rule.access);
    assert.deepEqual([...roles], role ? [role] : [], `${what}: the role a key needs`);
    const others = schemes.filter((scheme) => !keySchemes.includes(scheme));
    const expected = { feed: ['feedToken', 'feedTokenBasic'], metrics: ['metricsToken'], ingest: ['ingestKeyInQuery', 'webhookSignature'] }[rule.access as string] ?? [];
    assert.deepEqual(others.sort(), expected, `${what}: credentials other than an API key`);
  }
});

test('bodies and query parameters are the routes\' own zod schemas, on their input side', () => {
  const jsonBody = (method: string, path: string) => operationOf(method, path).requestBody.content['application/json'].schema;

  const [single, list] = jsonBody('POST', '/v1/blocks').anyOf;
  assert.deepEqual(single.required, ['ip', 'reason'], 'duration has a default, so it may be left out');
  assert.equal(single.properties.duration.type, 'string', 'the text sent, not the milliseconds it becomes');
  assert.equal(single.additionalProperties, false);
  assert.equal(list.maxItems, MAX_BLOCKS_PER_REQUEST);
  assert.equal(operationOf('POST', '/v1/blocks').requestBody.required, true);

  assert.deepEqual(jsonBody('POST', '/v1/incidents/:id/verdict').properties.verdict.enum, [...VERDICTS]);
  assert.equal(operationOf('POST', '/v1/incidents/:id/approve').requestBody.required, false, 'an absent body is read as {}');

  const parameters = (method: string, path: string) => Object.fromEntries(operationOf(method, path).parameters.map((p: any) => [`${p.in}:${p.name}`, p]));
  const incidents = parameters('GET', '/v1/incidents');
  assert.deepEqual(Object.keys(incidents), ['query:status', 'query:playbook', 'query:entity', 'query:kind', 'query:source', 'query:since', 'query:until', 'query:limit']);
  assert.deepEqual(incidents['query:status'].schema.enum, [...INCIDENT_STATUSES]);
  assert.deepEqual([incidents['query:limit'].required, incidents['query:limit'].schema.maximum], [false, 500]);
  assert.deepEqual(Object.keys(parameters('GET', '/v1/audit')), ['query:incident', 'query:since', 'query:limit']);
  assert.deepEqual(Object.keys(parameters('GET', '/v1/explain/:entity')), ['path:entity', 'query:kind']);

  assert.deepEqual(parameters('POST', '/v1/alerts/:source')['path:source'].schema.enum, SUPPORTED_SOURCES);
  assert.deepEqual(parameters('GET', '/v1/alerts/:source')['path:source'].schema.enum, ['okta'], 'only Okta checks its URL first');
  const bodies = Object.keys(document.components.schemas);
  for (const source of alertSources) assert.ok(bodies.includes(`SiemBody.${source.name}`), `${source.name}'s body is described`);
  assert.deepEqual(document.components.schemas['SiemBody.okta'].properties.eventType.const, 'com.okta.event_hook');

  const slack = operationOf('POST', '/v1/slack/actions').requestBody.content['application/x-www-form-urlencoded'].schema;
  assert.equal(slack.properties.payload.contentSchema.properties.type.const, 'block_actions');
});

test('every $ref resolves, and every guide the document names exists', () => {
  const refs = valuesOf('$ref') as string[];
  assert.ok(refs.length > 0);
  for (const ref of new Set(refs)) {
    const target = ref.replace(/^#\//, '').split('/').reduce((node: any, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
    assert.ok(ref.startsWith('#/') && target !== undefined, `${ref} resolves`);
  }
  const guides = new Set(JSON.stringify(document).match(/docs\/[\w/.-]+\.md/g));
  assert.ok(guides.size > 0);
  for (const guide of guides) assert.ok(existsSync(new URL(`../../${guide}`, import.meta.url)), `${guide} exists`);
});
