/** The `riposte` commands: their options, help and what each asks of the API. `cli/riposte.ts` runs them. */
import { parseArgs } from 'node:util';
import { MAX_BLOCKS_PER_REQUEST } from '../domain/acceptedValues.ts';
import { ENTITY_KINDS } from '../domain/entity.ts';
import { INCIDENT_STATUSES } from '../domain/incident.ts';
import { ApiClient, DEFAULT_URL, resolveApiKey, resolveBaseUrl } from './api.ts';
import { auditCommand, verdictsCommand } from './audit.ts';
import { importBlocks, readBlockList } from './blockList.ts';
import { completionScript, type Shell, SHELLS } from './completion.ts';
import { containmentsCommand } from './containments.ts';
import { controlCommands } from './control.ts';
import type { PointEnforcement } from '../workflows/control.ts';
import { clean, CliError, UsageError } from './errors.ts';
import { allowCommand, exceptionsCommand, unallowCommand } from './exceptions.ts';
import { reportCommand } from './report.ts';
import { simulateCommand } from './simulate.ts';
import { tailCommand } from './tail.ts';
import { runTemporalCli, TEMPORAL_SUMMARY } from './temporal.ts';
import { riposteVersion, versionCommand } from './version.ts';
import {
  type BlockView, type ExplanationView, formatBlocks, formatEnforcement, formatExplanation, formatIncident, formatIncidents, type IncidentListItem, type IncidentView,
} from './format.ts';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in the help, e.g. TEXT. */
  value?: string;
  help: string;
  required?: boolean;
}

type Values = Record<string, string | boolean | undefined>;

interface Context {
  /** The API client; built on first use, so help and usage errors need no key. */
  api(): ApiClient;
  values: Values;
  args: string[];
  print(text: string): void;
  /** Progress and warnings, on stderr. */
  warn(text: string): void;
}

export interface CommandSpec {
  name: string;
  args: string[];
  summary: string;
  description: string;
  options: Record<string, OptionSpec>;
  /** Talks to the API: gets --url and --json. */
  api: boolean;
  run(ctx: Context): Promise<void>;
}

const API_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: "print the API's answer as JSON" },
  url: { type: 'string', value: 'URL', help: `the Riposte API (default $RIPOSTE_URL, else ${DEFAULT_URL})` },
};
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

// The API resolves any spelling of the entity to the incident's id, and answers one that names none with the forms ids take.
const incidentPath = (id: string, action = '') => `/v1/incidents/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
const str = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

const ID_HELP = 'ID is <playbook>:<entity>, e.g. brute-force:203.0.113.7, phishing:alice@example.org, lateral-movement:ws-042.corp.example or impossible-travel:corp\\alice (quote it in a shell); any spelling of the entity is made canonical.';

interface SignalAnswer {
  id: string;
  signal: string;
  by: string;
  /** approve only: approvals given with this one, and how many the wait needs. */
  approvals?: { given: number; needed: number };
}

function signalDone(past: string, answer: SignalAnswer): string {
  const done = `${past} ${clean(answer.id)} (as ${clean(answer.by)})`;
  const { given, needed } = answer.approvals ?? { given: 1, needed: 1 };
  if (needed <= 1) return done;
  return `${done}: ${given} of ${needed} approvals${given < needed ? '; another person must approve' : ''}`;
}

/** approve, reject, pause and resume: one signal through the API, which checks the incident's state first. */
function incidentAction(name: string, past: string, summary: string, description: string, textOption?: { name: 'comment' | 'reason'; help: string }): CommandSpec {
  return {
    name,
    args: ['ID'],
    summary,
    description: `${description}\n${ID_HELP}`,
    options: textOption ? { [textOption.name]: { type: 'string', value: 'TEXT', help: textOption.help } } : {},
    api: true,
    async run({ api, args, values, print }) {
      const body = textOption && str(values[textOption.name]) !== undefined ? { [textOption.name]: str(values[textOption.name]) } : {};
      const answer = await api().call<SignalAnswer>('POST', incidentPath(args[0]!, name), { body });
      print(values.json ? JSON.stringify(answer, null, 2) : signalDone(past, answer));
    },
  };
}

const completionCommand: CommandSpec = {
  name: 'completion',
  args: ['SHELL'],
  summary: 'print a completion script for bash or zsh',
  description: [
    'Prints a script completing riposte\'s commands, subcommands and options in SHELL (bash or zsh). Install it with',
    '  echo \'source <(riposte completion bash)\' >> ~/.bashrc',
    '  echo \'source <(riposte completion zsh)\' >> ~/.zshrc      (after compinit)',
  ].join('\n'),
  options: {},
  api: false,
  async run({ args, print }) {
    const shell = args[0] as Shell;
    if (!SHELLS.includes(shell)) throw new UsageError(`SHELL must be one of ${SHELLS.join(', ')}`, 'completion');
    const commands = COMMANDS.map((c) => ({
      name: c.name,
      summary: c.summary,
      options: Object.entries(optionsOf(c)).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]),
    }));
    print(completionScript(shell, [...commands, { name: 'help', summary: 'show the help of riposte or of a command', options: [] }, { name: 'temporal', summary: TEMPORAL_SUMMARY, options: [] }]));
  },
};

const COMMANDS: CommandSpec[] = [
  incidentAction('approve', 'approved', 'approve an incident that awaits approval', 'Approves the containment the incident planned. Answers 409 (exit 1) unless the incident is awaiting approval, or when\nyou already approved it: an action the policy gives `approvals: 2` needs two different people.', { name: 'comment', help: 'recorded with the approval' }),
  incidentAction('reject', 'rejected', 'reject an incident that awaits approval', 'Rejects the planned containment; nothing is blocked. Answers 409 (exit 1) unless the incident is awaiting approval.', { name: 'reason', help: 'recorded with the rejection' }),
  incidentAction('pause', 'paused', "hold an incident's containment", 'No containment of this incident starts until `riposte resume ID`. Answers 409 (exit 1) when it is already paused or finished.', { name: 'reason', help: 'recorded with the pause' }),
  incidentAction('resume', 'resumed', 'let a paused incident go on', 'Lifts a pause set with `riposte pause`. Answers 409 (exit 1) when the incident is not paused.'),
  {
    name: 'verdict',
    args: ['ID', 'VERDICT'],
    summary: 'say whether an incident was a true or a false positive',
    description: [
      'VERDICT is true_positive or false_positive. A false positive lifts the incident\'s blocks at once, everywhere.',
      'One verdict per incident, while it is open (its review window): otherwise 409, exit 1. You are recorded as its author.',
      ID_HELP,
    ].join('\n'),
    options: { comment: { type: 'string', value: 'TEXT', help: 'recorded with the verdict' } },
    api: true,
    async run({ api, args, values, print }) {
      const body = { verdict: args[1], ...(str(values.comment) !== undefined ? { comment: str(values.comment) } : {}) };
      const answer = await api().call<{ id: string; verdict: string; by: string }>('POST', incidentPath(args[0]!, 'verdict'), { body });
      print(values.json ? JSON.stringify(answer, null, 2) : `${clean(answer.verdict)} recorded on ${clean(answer.id)} (as ${clean(answer.by)})`);
    },
  },
  {
    name: 'status',
    args: ['ID'],
    summary: 'show an incident: status, plan, actions and timeline',
    description: `Shows one incident with its timeline; --json prints the API answer as it is.\n${ID_HELP}`,
    options: {},
    api: true,
    async run({ api, args, values, print }) {
      const incident = await api().call<IncidentView>('GET', incidentPath(args[0]!));
      print(values.json ? JSON.stringify(incident, null, 2) : formatIncident(incident));
    },
  },
  {
    name: 'incidents',
    args: [],
    summary: 'list incidents',
    description: 'Lists incidents from Temporal\'s visibility store.',
    options: {
      status: { type: 'string', value: 'STATUS', help: `only this status: ${INCIDENT_STATUSES.join(', ')}` },
      playbook: { type: 'string', value: 'NAME', help: 'only this playbook, e.g. brute-force' },
      entity: { type: 'string', value: 'ENTITY', help: 'only incidents about this address, user, host, domain or URL' },
      kind: { type: 'string', value: 'KIND', help: `read --entity as ${ENTITY_KINDS.join(', ')} (default: any it can be)` },
      limit: { type: 'string', value: 'N', help: 'at most N incidents (default 50, at most 500)' },
    },
    api: true,
    async run({ api, values, print }) {
      const query = { status: str(values.status), playbook: str(values.playbook), entity: str(values.entity), kind: str(values.kind), limit: str(values.limit) };
      const answer = await api().call<{ incidents: IncidentListItem[] }>('GET', '/v1/incidents', { query });
      print(values.json ? JSON.stringify(answer, null, 2) : formatIncidents(answer.incidents));
    },
  },
  {
    name: 'explain',
    args: ['ENTITY'],
    summary: 'say why an address, user, host, domain or URL is or is not acted on now',
    description: [
      'Shows the verdict (acted on, not acted on, no incident) and why: the incidents about ENTITY (open first, then recent)',
      'with their playbook, policy version, mode, status, plan, alerts, approvals and actions; an address\'s active block;',
      'the allowlist entry or protect pattern of the current policy that covers it; the kill switch and circuit breaker.',
      'ENTITY is read as whatever kind it can be (203.0.113.7, alice@example.org, corp\\alice, ws-042.corp.example,',
      'https://login.example.net/x); --kind says which when a name could be two (a host and a domain, a host and a login).',
    ].join('\n'),
    options: { kind: { type: 'string', value: 'KIND', help: `read ENTITY as ${ENTITY_KINDS.join(', ')}` } },
    api: true,
    async run({ api, args, values, print }) {
      const answer = await api().call<ExplanationView>('GET', `/v1/explain/${encodeURIComponent(args[0]!)}`, { query: { kind: str(values.kind) } });
      print(values.json ? JSON.stringify(answer, null, 2) : formatExplanation(answer));
    },
  },
  {
    name: 'block',
    args: ['[IP]'],
    summary: 'block an address or a range (or a file of them) at every enforcement point, for a while',
    description: [
      'Blocks IP, or extends its block: a block is never shortened. Every block expires.',
      'IP is an address or a range such as 203.0.113.0/24 or 2001:db8:1:2::/64; a range with host bits set',
      '(203.0.113.7/24) is refused rather than widened. A range wider than the policy\'s maxBlockWidth (default /24 and',
      '/48) becomes the incident manual-block:<range>, blocked once other people approve it (an admin\'s request is the',
      'approval when the policy asks for one).',
      'An address on the policy\'s allowlist, or a range with one inside it, is refused (403, exit 1) and nothing is',
      'started. You are recorded as the one who asked.',
      `--file imports a threat list instead: one address or range per line (blank lines and text after # ignored), sent
${MAX_BLOCKS_PER_REQUEST.toLocaleString('en')} a request with the same --reason and --duration. A request with any entry that cannot be blocked
(allowlisted, invalid, too wide) is refused whole, naming the lines.`,
    ].join('\n'),
    options: {
      reason: { type: 'string', value: 'TEXT', help: 'why (required; kept with the block)', required: true },
      duration: { type: 'string', value: 'D', help: 'how long: a whole number and s, m, h or d (default 24h, at most 365d)' },
      file: { type: 'string', value: 'FILE', help: 'block every address or range listed in FILE (- for standard input)' },
    },
    api: true,
    async run({ api, args, values, print }) {
      const duration = str(values.duration) !== undefined ? { duration: str(values.duration) } : {};
      const file = str(values.file);
      if ((file === undefined) === (args[0] === undefined)) throw new UsageError('give either IP or --file', 'block');
      if (file !== undefined) {
        await importBlocks(api(), await readBlockList(file), { reason: str(values.reason)!, ...duration }, (line) => print(values.json ? line : clean(line)));
        return;
      }
      const body = { ip: args[0], reason: str(values.reason), ...duration };
      const answer = await api().call<{ address: string; workflowId: string; duration: string; by: string; expiresAt?: string; incident?: string; message?: string }>('POST', '/v1/blocks', { body });
      if (values.json) print(JSON.stringify(answer, null, 2));
      // A range wider than maxBlockWidth became an incident that waits for other people's approval.
      else if (answer.incident) print(`${clean(answer.message)} (as ${clean(answer.by)})`);
      else if (answer.expiresAt) print(`blocking ${clean(answer.address)} until ${clean(answer.expiresAt)} (as ${clean(answer.by)})`);
      else print(`block of ${clean(answer.address)} for ${clean(answer.duration)} requested (as ${clean(answer.by)})`);
    },
  },
  {
    name: 'unblock',
    args: ['IP'],
    summary: 'lift the block of an address or a range now',
    description: 'Removes the block of exactly IP (an address, or a range as blocked) at every enforcement point, whoever asked for it. Exit 1 when it is not blocked.',
    options: { reason: { type: 'string', value: 'TEXT', help: 'recorded with the unblock' } },
    api: true,
    async run({ api, args, values, print }) {
      const body = str(values.reason) !== undefined ? { reason: str(values.reason) } : {};
      const answer = await api().call<{ address: string; by: string }>('DELETE', `/v1/blocks/${encodeURIComponent(args[0]!)}`, { body });
      print(values.json ? JSON.stringify(answer, null, 2) : `unblocking ${clean(answer.address)} (as ${clean(answer.by)})`);
    },
  },
  {
    name: 'blocks',
    args: [],
    summary: 'list active blocks',
    description: 'Lists the blocks: address, state (active, applying, failed at every point, removing), expiry and since when. A page holds up to 1000; --cursor takes the next one the previous page named.',
    options: { cursor: { type: 'string', value: 'CURSOR', help: 'the page after the one that named this cursor' } },
    api: true,
    async run({ api, values, print }) {
      const cursor = typeof values.cursor === 'string' ? `?cursor=${encodeURIComponent(values.cursor)}` : '';
      const answer = await api().call<{ blocks: BlockView[]; next: string | null }>('GET', `/v1/blocks${cursor}`);
      print(values.json ? JSON.stringify(answer, null, 2) : `${formatBlocks(answer.blocks)}${answer.next ? `\nmore: riposte blocks --cursor ${answer.next}` : ''}`);
    },
  },
  {
    name: 'enforcement',
    args: [],
    summary: 'show how much of the live blocks each enforcement point really holds',
    description: [
      'Prints, per enforcement point, the last reconcile\'s finding: the live blocks it should hold, the share it did',
      '(ENFORCED), how many were put back, and how many cycles in a row it has been short. Reconcile runs every',
      'enforcement.reconcileEvery (default 30s) and once when the workers start. Exit 1 when a point holds less than all.',
    ].join('\n'),
    options: {},
    api: true,
    async run({ api, values, print }) {
      const answer = await api().call<{ enforcement?: Record<string, PointEnforcement> }>('GET', '/v1/control');
      print(values.json ? JSON.stringify(answer.enforcement ?? {}, null, 2) : formatEnforcement(answer.enforcement ?? {}));
      if (Object.values(answer.enforcement ?? {}).some((point) => point.enforced < 1)) throw new CliError('an enforcement point holds less than every live block');
    },
  },
  {
    name: 'policy check',
    args: ['FILE'],
    summary: 'validate a policy file without starting anything',
    description: 'Validates FILE as Riposte would at start-up. Prints its version (the hash stamped on incidents) when valid; otherwise every field at fault, and exits 1.',
    options: {},
    api: false,
    async run({ args, print }) {
      // Loaded here: the policy schema and YAML parser are the heaviest modules, and only this command needs them.
      const { PolicyError, loadPolicy } = await import('../runtime/policyFile.ts');
      try {
        const policy = await loadPolicy(args[0]!);
        print(`${clean(args[0])}: valid, version ${policy.version}`);
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        const [first, ...rest] = err.message.split('\n');
        throw new CliError(clean(first), 1, rest.map(clean));
      }
    },
  },
  tailCommand, auditCommand, verdictsCommand, ...controlCommands, versionCommand, completionCommand,
  simulateCommand,
  reportCommand,
  allowCommand, exceptionsCommand, unallowCommand,
  containmentsCommand,
];


const commandByName = new Map(COMMANDS.map((c) => [c.name, c]));

function optionsOf(command: CommandSpec): Record<string, OptionSpec> {
  return { ...command.options, ...(command.api ? API_OPTIONS : {}), help: HELP_OPTION };
}

function usageLine(command: CommandSpec): string {
  const options = Object.entries(command.options).map(([name, o]) => {
    const text = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return o.required ? text : `[${text}]`;
  });
  return ['riposte', command.name, ...command.args, ...options, ...(command.api ? ['[--json]'] : [])].join(' ');
}

function commandHelp(command: CommandSpec): string {
  const flags = Object.entries(optionsOf(command)).map(([name, o]) => ({ help: o.help, flag: `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}` }));
  const width = Math.max(24, ...flags.map((f) => f.flag.length));
  const rows = flags.map(({ flag, help }) => `  ${flag.padEnd(width)}  ${help}`);
  return [`Usage: ${usageLine(command)}`, '', command.description, '', 'Options:', ...rows, ...(command.api ? ['', ENVIRONMENT] : [])].join('\n');
}

const ENVIRONMENT = [
  'Environment:',
  `  RIPOSTE_URL             the API (default ${DEFAULT_URL})`,
  '  RIPOSTE_API_KEY         the API key; or RIPOSTE_API_KEY_FILE, a file holding it;',
  '                          else .data/dev-api-key (under RIPOSTE_DATA_DIR) when it exists',
].join('\n');

function mainHelp(): string {
  const rows: [string, string][] = [...COMMANDS.map((c): [string, string] => [`${c.name} ${c.args.join(' ')}`, c.summary]), ['temporal ARGS…', TEMPORAL_SUMMARY]];
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    'Usage: riposte <command> [options]',
    '',
    'Respond to Riposte incidents from a terminal. Every command but `policy check` and `simulate` goes through the',
    'HTTP API, so your key\'s role applies and its principal is recorded as the one who acted.',
    '',
    'Commands:',
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    '',
    ENVIRONMENT,
    '',
    'Exit status: 0 done, 1 refused by the API or invalid (the reason is printed), 2 usage error; `temporal` exits',
    'with the Temporal CLI\'s own status.',
    'Run `riposte <command> --help` for its options; `riposte --version` prints the version.',
  ].join('\n');
}

/** Runs one command line; returns the exit status. Output goes through `out` and `err`, so nothing else prints. */
export async function run(argv: string[], env: NodeJS.ProcessEnv, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  let command: CommandSpec | undefined;
  let key: string | undefined;
  try {
    const [first, second] = argv;
    if (first === undefined) throw new UsageError('no command given');
    if (first === '-h' || first === '--help') {
      out(mainHelp());
      return 0;
    }
    if (first === '--version') {
      out(`riposte ${riposteVersion()}`);
      return 0;
    }
    if (first === 'temporal') return await runTemporalCli(argv.slice(1), env);
    if (first === 'help') {
      const wanted = second === 'policy' ? 'policy check' : commandByName.has(`${second} ${argv[2]}`) ? `${second} ${argv[2]}` : second;
      const target = wanted === undefined ? undefined : commandByName.get(wanted);
      if (wanted !== undefined && !target) throw new UsageError(`unknown command ${JSON.stringify(clean(wanted))}`);
      out(target ? commandHelp(target) : mainHelp());
      return 0;
    }
    let rest: string[];
    if (first === 'policy') {
      if (second === 'check') {
        command = commandByName.get('policy check')!;
        rest = argv.slice(2);
      } else if (second === undefined || second === '-h' || second === '--help') {
        command = commandByName.get('policy check')!;
        if (second === undefined) throw new UsageError('policy needs a subcommand: check', command.name);
        out(commandHelp(command));
        return 0;
      } else {
        throw new UsageError(`unknown policy subcommand ${JSON.stringify(clean(second))}: only "check"`, 'policy check');
      }
    } else {
      // A command and its subcommand (`control pause`), else the command alone.
      const pair = second === undefined ? undefined : commandByName.get(`${first} ${second}`);
      command = pair ?? commandByName.get(first);
      if (!command) {
        throw new UsageError(first.startsWith('-') ? `options go after the command: riposte <command> ${clean(first)}` : `unknown command ${JSON.stringify(clean(first))}`);
      }
      rest = argv.slice(pair ? 2 : 1);
    }

    let values: Values;
    let args: string[];
    try {
      const options = Object.fromEntries(Object.entries(optionsOf(command)).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));
      ({ values, positionals: args } = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] });
    } catch (parseError) {
      // Node's text goes on about positionals after `--`; the first sentence is the point.
      throw new UsageError(clean((parseError as Error).message.split(/\. To specify a positional/)[0]), command.name);
    }
    if (values.help) {
      out(commandHelp(command));
      return 0;
    }
    // `[IP]` is an optional argument.
    const required = command.args.filter((arg) => !arg.startsWith('['));
    if (args.length < required.length) throw new UsageError(`missing ${required.slice(args.length).join(' ')}`, command.name);
    if (args.length > command.args.length) throw new UsageError(`unexpected argument ${JSON.stringify(clean(args[command.args.length]))}`, command.name);
    for (const [name, o] of Object.entries(command.options)) {
      if (o.required && (values[name] === undefined || values[name] === '')) throw new UsageError(`--${name} is required`, command.name);
    }

    let client: ApiClient | undefined;
    const api = () => {
      if (!client) {
        const url = resolveBaseUrl(str(values.url), env);
        const apiKey = resolveApiKey(env);
        key = apiKey.value;
        client = new ApiClient(url, apiKey);
      }
      return client;
    };
    await command.run({ api, values, args, print: out, warn: err });
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      err([`error: ${error.message}`, ...error.details].join('\n'));
      if (error instanceof UsageError) {
        const target = error.command ? commandByName.get(error.command) : command;
        err(`\n${target ? commandHelp(target) : mainHelp()}`);
      }
      return error.exitCode;
    }
    // Not expected: still one line, without a stack trace and without the key.
    const message = clean((error as Error)?.message ?? String(error));
    err(`error: ${key ? message.split(key).join('[redacted]') : message}`);
    return 1;
  }
}
