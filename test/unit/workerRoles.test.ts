import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../runtime/config.ts';

test('RIPOSTE_WORKERS: all three workers unless it names some', () => {
  assert.deepEqual(loadConfig({}).workerRoles, ['main', 'control', 'enforcement']);
  assert.deepEqual(loadConfig({ RIPOSTE_WORKERS: 'enforcement' }).workerRoles, ['enforcement']);
  assert.deepEqual(loadConfig({ RIPOSTE_WORKERS: ' main , control,main ' }).workerRoles, ['main', 'control']);
});

test('RIPOSTE_WORKERS: an unknown or empty list is refused, naming the variable', () => {
  const refused = (value: string, message: RegExp) => assert.throws(
    () => loadConfig({ RIPOSTE_WORKERS: value }),
    (err: Error) => err instanceof ConfigError && /RIPOSTE_WORKERS/.test(err.message) && message.test(err.message),
  );
  refused('main,enforcer', /expected one of "main"\|"control"\|"enforcement"/);
  refused(' , ', /name one or more of main, control, enforcement/);
});
