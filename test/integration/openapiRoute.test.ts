import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openApiDocument } from '../../api/openapi/document.ts';
import { ERROR_SCHEMA } from '../../api/openapi/responses.ts';
import { riposteWithApi, TEST_API_KEY, testPolicy, uniqueAddress } from '../support/temporal.ts';

const document = openApiDocument() as any;

describe('GET /openapi.json on the running app', () => {
  const stack = riposteWithApi(testPolicy());

  test('is served without a credential, and is the document the module builds', async () => {
    const served = await stack.api.call('GET', '/openapi.json', undefined, {});
    assert.equal(served.status, 200);
    assert.match(served.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(served.json, JSON.parse(JSON.stringify(document)));
  });

  /**
   * Each documented operation, called with the admin key and no body or query, reaches a route of its own (never
   * the app's `no route` fallback) and answers a status the document lists for it, with the documented error body.
   */
  test('every documented operation is routed, and answers as documented', async () => {
    const address = uniqueAddress();
    const examples: Record<string, string> = { id: `brute-force:${address}`, ip: address, entity: address, source: 'humio' };
    const properties = Object.keys((ERROR_SCHEMA.properties as object));
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, any>)) {
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
          const parameter = operation.parameters.find((p: any) => p.in === 'path' && p.name === name);
          return encodeURIComponent(parameter.schema.enum?.[0] ?? examples[name]);
        });
        const what = `${method.toUpperCase()} ${path}`;
        if (operation.responses['200']?.content?.['text/event-stream']) {
          await assertStreamOpens(`${stack.api.url}${path}`, what);
          continue;
        }
        const answer = await stack.api.call(method.toUpperCase(), path);
        assert.ok(operation.responses[String(answer.status)], `${what}: ${answer.status} is documented (${answer.text.slice(0, 200)})`);
        if (answer.status < 400) continue;
        assert.doesNotMatch(answer.json?.message ?? '', /^no route /, what);
        assert.ok(Object.keys(answer.json).every((key) => properties.includes(key)), `${what}: ${answer.text.slice(0, 200)} has the documented error fields only`);
        for (const key of ERROR_SCHEMA.required as string[]) assert.equal(typeof answer.json[key], 'string', `${what}: ${key}`);
      }
    }
  });
});

/** A stream never ends by itself: its status and type are read, then the request is dropped. */
async function assertStreamOpens(url: string, what: string): Promise<void> {
  const abort = new AbortController();
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${TEST_API_KEY}` }, signal: abort.signal });
    assert.equal(response.status, 200, what);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/, what);
  } finally {
    abort.abort();
  }
}
