import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { isEmailAddress } from '../notify/emailNotifier.ts';
import { parseEndpoint } from '../notify/notification.ts';
import { VENDOR_REJECTED, vendorRequest } from '../vendorHttp.ts';

/** Whom to tell about a user's incident besides the channel: at least one way to reach them is set. */
export interface Manager {
  name?: string;
  email?: string;
  /** A Slack user id (`U012AB3CD`) or handle, as the organisation records it. */
  slack?: string;
}

export interface ManagerDirectory {
  /** `undefined` when the directory does not know the user or their manager. */
  managerOf(user: string): Promise<Manager | undefined>;
}

/** User keys are compared lower-case, as domain/entity.ts canonicalizes users. */
export function canonicalUserKey(user: string): string {
  return user.trim().toLowerCase();
}

const optionalText = z.string().trim().min(1).max(320).optional();
// A manager's address goes into an SMTP envelope, so it must pass the e-mail notifier's own check.
const email = z.string().trim().refine(isEmailAddress, 'must be a plain e-mail address');
const reachable = (m: Manager) => m.email !== undefined || m.name !== undefined || m.slack !== undefined;
const managerSchema = z.object({ email: email.optional(), name: optionalText, slack: optionalText }).refine(reachable, 'names no manager');

// ---------------------------------------------------------------------------------------------------------------
// File: YAML or CSV, by extension.

/**
 * YAML, either form per user:
 *   users:
 *     alice@example.org: bob@example.org                 # just the manager's address
 *     carol@example.org: { manager: dave@example.org, name: Dave Doe, slack: U024DAVE }   # name and slack: the manager's
 */
const yamlEntry = z.union([
  email.transform((address) => ({ email: address })),
  z.object({ manager: email.optional(), name: optionalText, slack: optionalText }).strict()
    .transform(({ manager, name, slack }) => ({ email: manager, name, slack })),
]).refine(reachable, 'names no manager');
const yamlFile = z.object({ users: z.record(z.string().min(1), yamlEntry) }).strict();

const CSV_COLUMNS = ['user', 'manager_email', 'manager_name', 'manager_slack'] as const;

export function parseManagerFile(text: string, path: string): Map<string, Manager> {
  const entries = /\.ya?ml$/i.test(path) ? yamlEntries(text) : extname(path).toLowerCase() === '.csv' ? csvEntries(text) : undefined;
  if (!entries) throw new Error(`${path}: the manager file must end in .yaml, .yml or .csv`);
  const table = new Map<string, Manager>();
  for (const [user, manager] of entries) {
    const key = canonicalUserKey(user);
    if (table.has(key)) throw new Error(`${path}: user ${key} is listed twice`);
    table.set(key, stripUndefined(manager));
  }
  return table;
}

function yamlEntries(text: string): [string, Manager][] {
  const parsed = yamlFile.safeParse(parseYaml(text));
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; '));
  return Object.entries(parsed.data.users);
}

function csvEntries(text: string): [string, Manager][] {
  const [header, ...rows] = parseCsv(text).filter((row) => row.some((cell) => cell.trim() !== ''));
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  if (columns.length !== CSV_COLUMNS.length || CSV_COLUMNS.some((c, i) => columns[i] !== c)) {
    throw new Error(`the CSV header must be ${CSV_COLUMNS.join(',')}`);
  }
  return rows.map((row, i) => {
    const [user, managerEmail, name, slack] = CSV_COLUMNS.map((_, c) => row[c]?.trim() || undefined);
    if (!user || row.length > CSV_COLUMNS.length) throw new Error(`row ${i + 1}: expected ${CSV_COLUMNS.length} columns with a user`);
    const manager = managerSchema.safeParse({ email: managerEmail, name, slack });
    if (!manager.success) throw new Error(`row ${i + 1} (${user}): ${manager.error.issues.map((issue) => issue.message).join('; ')}`);
    return [user, manager.data];
  });
}

/** RFC 4180: commas, double quotes with "" inside, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => { row.push(cell); cell = ''; };
  const endRow = () => { endCell(); rows.push(row); row = []; };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (text[i + 1] === '"') cell += text[++i];
      else quoted = false;
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      endCell();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      cell += ch;
    }
  }
  if (quoted) throw new Error('the CSV ends inside a quoted field');
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}

function stripUndefined(m: Manager): Manager {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Manager;
}

export interface FileManagerDirectoryOptions {
  path: string;
  /** Told when a changed file cannot be read or parsed; the previous table stays in use. */
  warn?: (message: string) => void;
}

/**
 * Reads the file at the first lookup and again whenever its modification time, size or inode changes (an editor's
 * atomic rename changes the inode), so edits apply without a restart. A broken edit keeps the last good table; a
 * file that was never readable fails the lookup (retryable).
 */
export function createFileManagerDirectory({ path, warn }: FileManagerDirectoryOptions): ManagerDirectory {
  let loaded: { version: string; table: Map<string, Manager> } | undefined;
  let loading: Promise<Map<string, Manager>> | undefined;

  async function load(): Promise<Map<string, Manager>> {
    const info = await stat(path);
    const version = `${info.mtimeMs}:${info.size}:${info.ino}`;
    if (loaded?.version === version) return loaded.table;
    try {
      const table = parseManagerFile(await readFile(path, 'utf8'), path);
      loaded = { version, table };
      return table;
    } catch (err) {
      const message = `manager file ${path}: ${(err as Error).message}`;
      if (!loaded) throw new Error(message);
      warn?.(`${message}; keeping the previous version`);
      // Remember the broken version so it is reported once, not at every lookup.
      loaded = { version, table: loaded.table };
      return loaded.table;
    }
  }

  return {
    async managerOf(user) {
      // Concurrent lookups share one stat and read.
      loading ??= load().finally(() => { loading = undefined; });
      return (await loading).get(canonicalUserKey(user));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP lookup.

export interface HttpManagerDirectoryOptions {
  /** `GET {url}?user=<user>` answers `{"manager":{"email","name","slack"}}`, or 404 for an unknown user. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`; a secret. */
  token?: string;
  timeoutMs?: number;
}

const lookupAnswer = z.object({ manager: z.union([managerSchema, z.null()]).optional() });

export function createHttpManagerDirectory(opts: HttpManagerDirectoryOptions): ManagerDirectory {
  // Checked at start-up, without echoing the URL, which may carry a key in its query.
  const base = parseEndpoint(opts.url, 'manager lookup');
  const headers = opts.token ? { authorization: `Bearer ${opts.token}` } : undefined;
  return {
    async managerOf(user) {
      const url = new URL(base);
      url.searchParams.set('user', canonicalUserKey(user));
      const res = await vendorRequest({ label: 'manager lookup', method: 'GET', url, headers, timeoutMs: opts.timeoutMs, accept: [404] });
      if (res.status === 404) return undefined;
      const parsed = lookupAnswer.safeParse(res.body);
      // The service answered but not in the agreed form: asking again returns the same answer.
      if (!parsed.success) throw ApplicationFailure.create({ message: `manager lookup answered ${res.status} with an unreadable body`, type: VENDOR_REJECTED, nonRetryable: true });
      return parsed.data.manager ? stripUndefined(parsed.data.manager) : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Adapter definitions.

const fileSettings = z.object({ RIPOSTE_MANAGER_FILE: z.string().min(1) });

export const managerFileDirectory: AdapterDefinition<ManagerDirectory, typeof fileSettings> = {
  name: 'manager-file',
  description: "Users' managers from a YAML or CSV file, re-read when it changes",
  requires: ['RIPOSTE_MANAGER_FILE'],
  settings: fileSettings,
  create: (settings) => createFileManagerDirectory({ path: settings.RIPOSTE_MANAGER_FILE }),
};

const lookupSettings = z.object({
  RIPOSTE_MANAGER_LOOKUP_URL: z.string().min(1),
  /** Secret. */
  RIPOSTE_MANAGER_LOOKUP_TOKEN: z.string().min(1).optional(),
});

export const managerLookupDirectory: AdapterDefinition<ManagerDirectory, typeof lookupSettings> = {
  name: 'manager-http',
  description: "Users' managers from an HTTP lookup service (GET ?user=…)",
  requires: ['RIPOSTE_MANAGER_LOOKUP_URL'],
  settings: lookupSettings,
  create: (settings) => createHttpManagerDirectory({ url: settings.RIPOSTE_MANAGER_LOOKUP_URL, token: settings.RIPOSTE_MANAGER_LOOKUP_TOKEN }),
};

export const managerDirectories: readonly AdapterDefinition<ManagerDirectory>[] = [managerFileDirectory, managerLookupDirectory];
