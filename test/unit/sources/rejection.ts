import assert from 'node:assert/strict';
import { HttpError } from '../../../api/errors.ts';
import { normalizeAlerts, type NormalizeOptions } from '../../../api/sources/index.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');

/** The paths a source's 400 names for a body, after checking it is a 400 whose every issue says what is wrong. */
export function rejectedPaths(source: string, body: unknown, options: NormalizeOptions = {}): string[] {
  try {
    normalizeAlerts(source, body, receivedAt, options);
  } catch (err) {
    assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
    assert.equal(err.status, 400, err.message);
    assert.equal(err.code, 'validation_failed');
    for (const issue of err.issues ?? []) assert.ok(issue.message.length > 0, `no message at ${issue.path}`);
    return err.issues?.map((issue) => issue.path) ?? [];
  }
  assert.fail(`expected a 400 for ${JSON.stringify(body).slice(0, 200)}`);
}
