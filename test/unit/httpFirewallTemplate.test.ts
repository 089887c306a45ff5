import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadHttpFirewallTemplate, parseHttpFirewallTemplate } from '../../activities/enforce/httpFirewallTemplate.ts';
import { renderBody, renderHeader, renderPath } from '../../activities/enforce/placeholders.ts';

const minimal = (extra: string) => `
name: mine
mode: rules
variables:
  required: [MY_TOKEN]
baseUrl: https://firewall.example
apply: { method: POST, path: /rules, body: { ip: "{{address}}" } }
remove: { method: DELETE, path: "/rules/{{ruleId}}" }
list: { request: { method: GET, path: /rules }, items: rules, address: ip, id: id }
${extra}`;

/** The `path: message` lines of a refused template. */
function faults(text: string): string[] {
  try {
    parseHttpFirewallTemplate(text, 'mine.yaml');
  } catch (err) {
    assert.equal((err as Error).name, 'ConfigError');
    return (err as Error).message.split('\n').slice(1).map((line) => line.trim());
  }
  assert.fail('the template was accepted');
}

test('both built-in templates load', () => {
  assert.equal(loadHttpFirewallTemplate('cloudflare').mode, 'rules');
  const aws = loadHttpFirewallTemplate('aws-waf');
  assert.equal(aws.mode, 'set');
  assert.deepEqual(aws.mode === 'set' && aws.sets.map((set) => set.family), [4, 6]);
});

test('a template\'s faults are refused with their field paths: shape, unknown placeholders, undeclared variables', () => {
  assert.doesNotThrow(() => parseHttpFirewallTemplate(minimal(''), 'mine.yaml'));
  assert.deepEqual(faults(minimal('').replace('path: /rules,', 'path: rules,')), ['apply.path: a path below baseUrl, starting with /']);
  assert.deepEqual(faults(minimal('').replace('items: rules, ', '')), ['list.items: Invalid input: expected string, received undefined']);
  assert.deepEqual(faults(minimal('headers: { Authorization: "Bearer {{env.OTHER_TOKEN}}" }')), ['headers.Authorization: {{env.OTHER_TOKEN}}: OTHER_TOKEN is not declared under variables']);
  assert.deepEqual(faults(minimal('').replace('"{{address}}"', '"{{adress}}"')), [
    'apply.body.ip: {{adress}} is not available here; use {{address}}, {{cidr}}, {{network}}, {{prefix}}, {{family}}, {{marker}}, {{expiresAt}}, {{note}}, {{env.<variable>}}',
  ]);
  assert.deepEqual(faults(minimal('').replace('"/rules/{{ruleId}}"', '"/rules/{{ruleId}}/{{note}}"')), [
    'remove.path: {{note}} is not available here; use {{address}}, {{cidr}}, {{network}}, {{prefix}}, {{family}}, {{marker}}, {{ruleId}}, {{env.<variable>}}',
  ]);
  assert.deepEqual(faults(minimal('errors: { field: error, retryLater: "(" }')), ['errors.retryLater: a regular expression, such as ThrottlingException|WAFInternalErrorException']);
  assert.deepEqual(faults('name: x\nmode: rules\n'), ['baseUrl: Invalid input: expected string, received undefined', 'apply: Invalid input: expected object, received undefined', 'remove: Invalid input: expected object, received undefined', 'list: Invalid input: expected object, received undefined']);
  assert.throws(() => parseHttpFirewallTemplate('mode: [', 'mine.yaml'), { name: 'ConfigError', message: /^HTTP firewall template mine.yaml: not valid YAML/ });
});

test('placeholder values are escaped where they land, and never become template text', () => {
  const values = (name: string) => ({ address: '2001:db8::1', evil: 'a/b?c=d&e#f', crlf: 'x\r\nX-Injected: 1', list: ['192.0.2.1/32'] } as Record<string, unknown>)[name];
  assert.equal(renderPath('/rules?value={{address}}&note={{evil}}', values), '/rules?value=2001%3Adb8%3A%3A1&note=a%2Fb%3Fc%3Dd%26e%23f');
  assert.throws(() => renderHeader('Bearer {{crlf}}', values), /control character/);
  const body = renderBody({ value: '{{evil}}", "admin": "true', addresses: '{{list}}', gone: '{{missing}}', note: 'x {{missing}} y' }, values);
  assert.deepEqual(body, { value: 'a/b?c=d&e#f", "admin": "true', addresses: ['192.0.2.1/32'], note: 'x  y' });
  assert.equal(JSON.parse(JSON.stringify(body)).admin, undefined, 'a quote in a value stays inside its string');
});
