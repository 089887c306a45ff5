import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { run } from '../../cli/commands.ts';
import { completionScript } from '../../cli/completion.ts';

const table = [
  { name: 'status', summary: "show an incident: it's one", options: ['--json', '--url', '--help', '-h'] },
  { name: 'control', summary: 'show the kill switch', options: ['--json'] },
  { name: 'control pause', summary: 'pause: all of it', options: ['--reason', '--json'] },
  { name: 'control breaker-reset', summary: "re-arm the breaker (an admin's job)", options: ['--json'] },
];

/** What bash completes for the words typed so far, the last one being completed. */
function bashCompletes(script: string, words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _riposte; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).sort();
}

async function cliOutput(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await run(args, {}, (text) => {
    out += `${text}\n`;
  }, () => undefined);
  return { code, out };
}

test('bash: commands, subcommands with the parent\'s options, and each command\'s options', () => {
  const script = completionScript('bash', table);
  execFileSync('bash', ['-n', '-c', script]);
  assert.deepEqual(bashCompletes(script, ['riposte', '']), ['control', 'status']);
  assert.deepEqual(bashCompletes(script, ['riposte', 'co']), ['control']);
  assert.deepEqual(bashCompletes(script, ['riposte', 'control', '']), ['--json', 'breaker-reset', 'pause']);
  assert.deepEqual(bashCompletes(script, ['riposte', 'control', 'pause', '--']), ['--json', '--reason']);
  assert.deepEqual(bashCompletes(script, ['riposte', 'status', 'brute-force:203.0.113.7', '--j']), ['--json']);
});

test('zsh: a compdef function describing every command, quotes escaped', () => {
  const script = completionScript('zsh', table);
  assert.match(script, /^#compdef riposte\n/);
  assert.match(script, /compdef _riposte riposte$/);
  assert.ok(script.includes("'control:show the kill switch'"));
  assert.ok(script.includes(`'control') compadd -- '--json' 'pause' 'breaker-reset'; return ;;`));
  assert.ok(script.includes(`'control pause') compadd -- '--reason' '--json' ;;`));
  assert.ok(script.includes(`'status:show an incident: it'\\''s one'`), 'a quote inside a summary is escaped');
});

test('riposte completion is generated from the command table: every command of the help, with its options', async () => {
  const help = (await cliOutput(['--help'])).out;
  const commands = [...help.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!);
  assert.ok(commands.includes('tail') && commands.includes('control') && commands.includes('completion'));
  const bash = await cliOutput(['completion', 'bash']);
  assert.equal(bash.code, 0);
  const top = bashCompletes(bash.out, ['riposte', '']);
  for (const command of commands) assert.ok(top.includes(command), `${command} is completed`);
  assert.deepEqual(bashCompletes(bash.out, ['riposte', 'audit', '--']), ['--help', '--incident', '--json', '--limit', '--url']);
  assert.ok(bashCompletes(bash.out, ['riposte', 'control', '']).includes('breaker-reset'));
  assert.equal((await cliOutput(['completion', 'zsh'])).code, 0);
  assert.equal((await cliOutput(['completion', 'fish'])).code, 2);
});
