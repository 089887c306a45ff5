/** `riposte allow`, `riposte exceptions`, `riposte unallow`: exceptions that expire, through /v1/exceptions. */
import { EXCEPTION_KINDS, MAX_EXCEPTION_DAYS } from '../domain/acceptedValues.ts';
import type { Exception } from '../domain/exceptions.ts';
import { canonicalCidr } from '../domain/ip.ts';
import type { CommandSpec } from './commands.ts';
import { clean, UsageError } from './errors.ts';
import { table } from './format.ts';

const text = (value: string | boolean | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** An address or range needs no --kind; anything else does, since `alice` may be a user or a host. */
function kindOf(value: string, kind: string | undefined): string {
  if (kind !== undefined) return kind;
  try {
    canonicalCidr(value);
    return 'address';
  } catch {
    throw new UsageError(`${clean(value)} is no address or range: say what it is with --kind ${EXCEPTION_KINDS.filter((k) => k !== 'address').join('|')}`, 'allow');
  }
}

export function formatExceptions(exceptions: readonly Exception[]): string {
  if (exceptions.length === 0) return 'no live exceptions';
  return table(['ID', 'KIND', 'VALUE', 'UNTIL', 'BY', 'REASON'], exceptions.map((e) => [e.id, e.kind, e.value, e.expiresAt, e.by, e.reason].map(clean)));
}

export const allowCommand: CommandSpec = {
  name: 'allow',
  args: ['VALUE'],
  summary: 'never block or act on an address, range, user, host or domain until the exception expires',
  description: [
    'Adds an exception without editing the policy: VALUE is an address or range (the default kind), or with --kind a',
    'user, host or domain. While it lives it is checked wherever the policy\'s allowlist and protect list are: incidents',
    'refuse to act on it, manual blocks of it are refused, enforcement points refuse it. Every live block it covers (the',
    `address, or each one inside the range) is lifted now, in your name. It ends by itself after --for (at most ${MAX_EXCEPTION_DAYS}d), or`,
    'at --until; `riposte unallow ID` ends it sooner.',
  ].join('\n'),
  options: {
    for: { type: 'string', value: 'D', help: 'how long: a whole number and s, m, h or d, e.g. 7d' },
    until: { type: 'string', value: 'ISO', help: 'until when, as an ISO 8601 time (instead of --for)' },
    reason: { type: 'string', value: 'TEXT', help: 'why (required; kept with the exception)', required: true },
    kind: { type: 'string', value: 'KIND', help: `${EXCEPTION_KINDS.join(', ')} (default address, when VALUE is one)` },
  },
  api: true,
  async run({ api, args, values, print }) {
    const [duration, until] = [text(values.for), text(values.until)];
    if ((duration === undefined) === (until === undefined)) throw new UsageError('give exactly one of --for and --until', 'allow');
    const body = {
      kind: kindOf(args[0]!, text(values.kind)), value: args[0], reason: text(values.reason),
      ...(duration !== undefined ? { for: duration } : { expiresAt: until }),
    };
    const answer = await api().call<{ exception: Exception; lifted: string[] }>('POST', '/v1/exceptions', { body });
    if (values.json) {
      print(JSON.stringify(answer, null, 2));
      return;
    }
    const { exception, lifted } = answer;
    print(`exception ${clean(exception.id)}: ${clean(exception.kind)} ${clean(exception.value)} until ${clean(exception.expiresAt)} (as ${clean(exception.by)})`);
    if (lifted.length > 0) print(`lifted: ${lifted.map(clean).join(', ')}`);
  },
};

export const exceptionsCommand: CommandSpec = {
  name: 'exceptions',
  args: [],
  summary: 'list the live exceptions',
  description: 'Lists the live exceptions, soonest to expire first: id, kind, value, expiry, author and reason.',
  options: {},
  api: true,
  async run({ api, values, print }) {
    const answer = await api().call<{ exceptions: Exception[] }>('GET', '/v1/exceptions');
    print(values.json ? JSON.stringify(answer, null, 2) : formatExceptions(answer.exceptions));
  },
};

export const unallowCommand: CommandSpec = {
  name: 'unallow',
  args: ['ID'],
  summary: 'end an exception now',
  description: 'Ends the exception ID (as `riposte exceptions` lists it) before its expiry. Blocks it lifted stay lifted. Exit 1 when no live exception has that id.',
  options: {},
  api: true,
  async run({ api, args, values, print }) {
    const answer = await api().call<{ exception: Exception }>('DELETE', `/v1/exceptions/${encodeURIComponent(args[0]!)}`);
    print(values.json ? JSON.stringify(answer, null, 2) : `exception ${clean(answer.exception.id)} for ${clean(answer.exception.value)} ended`);
  },
};
