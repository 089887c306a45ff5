import { z } from 'zod';
import { canonicalStringField } from './addressFields.ts';
import { canonicalDomain, canonicalEntity, canonicalHost, canonicalUser, domainOfUrl, type EntityKind } from './entity.ts';

/**
 * Protected users, hosts and domains: the allowlist's siblings, written as globs in the policy's `protect:` section.
 * Patterns are canonicalised like the entities they match (`SVC-*` becomes `svc-*`, `*.Bücher.example` becomes
 * `*.xn--bcher-kva.example`), and `*` matches any run of characters, possibly none, with these limits:
 *
 * - hosts and domains: `*` stays within one label (`dc*.corp.example` protects `dc01.corp.example`, not
 *   `dc01.lab.corp.example`), except a leading `*.`, which stands for any number of labels, none included:
 *   `*.example.org` protects `example.org` and every name under it. A host pattern of one label (`dc*`) matches
 *   the first label of any host, so it protects `dc01` whether an alert names it short or fully qualified.
 * - users: `*` stays within the account name or the domain. `*@admin.example.org` protects every UPN in that domain
 *   (its domain part follows the domain rules, so `*@*.example.org` covers subdomains); `corp\*` every down-level name
 *   of CORP. A pattern without a domain (`svc-*`) matches the account name in every form: `svc-backup`,
 *   `svc-backup@corp.example`, `corp\svc-backup`, since protecting too much is the safe mistake.
 *
 * A pattern of nothing but `*` (`*`, `*.*`) is refused: acting on no entity of a kind is what `observe` mode is for.
 */

/** A host or domain pattern: labels matched one by one, or as the tail of the name when `subtree` (a leading `*.`). */
export interface NamePattern {
  text: string;
  subtree: boolean;
  labels: string[];
}

export interface UserPattern {
  text: string;
  account: string;
  upnDomain?: NamePattern;
  downLevelDomain?: NamePattern;
}

/** Plain data, so a guard can travel in workflow and activity payloads. */
export interface CompiledProtection {
  users: UserPattern[];
  hosts: NamePattern[];
  domains: NamePattern[];
}

export type ProtectableKind = Exclude<EntityKind, 'address'>;

/** Stand-in for `*` when checking a pattern's literal parts: valid in every kind and unchanged by canonicalisation. */
const PROBE = 'a';

function checkWildcards(text: string): void {
  if (text.includes('**')) throw new Error('"**" in a pattern: a single "*" already matches any run of characters');
}

function refuseAllWild(text: string, kind: string): void {
  if (/^[*.]+$/.test(text)) throw new Error(`a pattern of nothing but "*" would protect every ${kind}; use the playbook's observe mode instead`);
}

/** Such a pattern would match URLs on bare addresses, which only the allowlist may protect. */
function refuseAddressLike(text: string): void {
  if (/^[\d*.]+$/.test(text)) throw new Error('a pattern of digits and "*" looks like addresses: protect addresses with the allowlist');
}

function namePattern(text: string): NamePattern {
  const labels = text.split('.');
  const subtree = labels.length > 1 && labels[0] === '*';
  return { text, subtree, labels: subtree ? labels.slice(1) : labels };
}

export function compileHostPattern(text: string): NamePattern {
  checkWildcards(text);
  canonicalHost(text.replaceAll('*', PROBE));
  const canonical = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  refuseAllWild(canonical, 'host');
  refuseAddressLike(canonical);
  return namePattern(canonical);
}

/**
 * Labels without `*` are canonicalised by IDNA; a label with `*` cannot be, since its punycode depends on what the
 * `*` stands for, so it must be ASCII already.
 */
export function compileDomainPattern(text: string): NamePattern {
  checkWildcards(text);
  const probed = canonicalDomain(text.replaceAll('*', PROBE)).split('.');
  const written = (text.endsWith('.') ? text.slice(0, -1) : text).split('.');
  if (written.length !== probed.length) throw new Error('write the dots of a domain pattern as ASCII "."');
  const labels = written.map((label, index) => {
    if (!label.includes('*')) return probed[index]!;
    if (!/^[A-Za-z0-9*-]+$/.test(label)) throw new Error('a label with "*" must be ASCII: write internationalised labels in punycode (xn--…)');
    return label.toLowerCase();
  });
  const canonical = labels.join('.');
  refuseAllWild(canonical, 'domain');
  refuseAddressLike(canonical);
  return namePattern(canonical);
}

export function compileUserPattern(text: string): UserPattern {
  checkWildcards(text);
  canonicalUser(text.replaceAll('*', PROBE));
  const [downLevel, rest] = text.includes('\\') ? text.split('\\') as [string, string] : [undefined, text];
  const [written, upn] = rest.includes('@') ? rest.split('@') as [string, string] : [rest, undefined];
  const account = written.toLowerCase();
  if (downLevel !== undefined) {
    const downLevelDomain = compileHostPattern(downLevel);
    return { text: `${downLevelDomain.text}\\${account}`, account, downLevelDomain };
  }
  if (upn !== undefined) {
    const upnDomain = compileDomainPattern(upn);
    return { text: `${account}@${upnDomain.text}`, account, upnDomain };
  }
  refuseAllWild(account, 'user');
  return { text: account, account };
}

/** `*` matches any run of characters; it backtracks only to the last `*`, so a pattern costs at most its length times the text's. */
function glob(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function nameMatches(pattern: NamePattern, name: string): boolean {
  const labels = name.split('.');
  const offset = labels.length - pattern.labels.length;
  if (offset < 0 || (offset > 0 && !pattern.subtree)) return false;
  return pattern.labels.every((label, index) => glob(label, labels[offset + index]!));
}

function hostMatches(pattern: NamePattern, host: string): boolean {
  if (!pattern.subtree && pattern.labels.length === 1) return glob(pattern.labels[0]!, host.split('.')[0]!);
  return nameMatches(pattern, host);
}

function userMatches(pattern: UserPattern, user: string): boolean {
  const slash = user.indexOf('\\');
  const at = user.indexOf('@');
  const account = slash !== -1 ? user.slice(slash + 1) : at !== -1 ? user.slice(0, at) : user;
  if (!glob(pattern.account, account)) return false;
  if (pattern.upnDomain) return at !== -1 && nameMatches(pattern.upnDomain, user.slice(at + 1));
  if (pattern.downLevelDomain) return slash !== -1 && nameMatches(pattern.downLevelDomain, user.slice(0, slash));
  return true;
}

/**
 * The protect pattern that covers an entity, or undefined. The value is canonicalised first, so a non-canonical
 * spelling cannot slip past a pattern; on canonical input it never throws. A URL is protected when its domain is;
 * a URL on a bare IP address never is, since addresses are the allowlist's business (domain/ip.ts).
 */
export function protectedBy(kind: ProtectableKind, value: string, protection: CompiledProtection): string | undefined {
  const canonical = canonicalEntity(kind, value);
  switch (kind) {
    case 'user': return protection.users.find((p) => userMatches(p, canonical))?.text;
    case 'host': return protection.hosts.find((p) => hostMatches(p, canonical))?.text;
    case 'domain': return protection.domains.find((p) => nameMatches(p, canonical))?.text;
    case 'url': return protection.domains.find((p) => nameMatches(p, domainOfUrl(canonical)))?.text;
  }
}

const patterns = (max: number, compile: (text: string) => { text: string }) =>
  z.array(canonicalStringField(max, (text) => compile(text).text)).default([]);

/** The policy file's `protect:` section; patterns leave canonical. Absent, it protects nothing. */
export const protectSchema = z.object({
  users: patterns(256, compileUserPattern),
  hosts: patterns(254, compileHostPattern),
  domains: patterns(254, compileDomainPattern),
}).strict().default({ users: [], hosts: [], domains: [] });

export type ProtectSpec = z.output<typeof protectSchema>;

function compileAll<P>(section: string, texts: readonly string[] | undefined, compile: (text: string) => P): P[] {
  return (texts ?? []).map((text, index) => {
    try {
      return compile(text);
    } catch (err) {
      throw new Error(`protect.${section}[${index}]: ${(err as Error).message}`);
    }
  });
}

export interface ProtectPatterns {
  users?: readonly string[];
  hosts?: readonly string[];
  domains?: readonly string[];
}

/** Compiles a `protect:` section, throwing at the first invalid pattern with its place and reason. */
export function compileProtect(spec: ProtectPatterns): CompiledProtection {
  return {
    users: compileAll('users', spec.users, compileUserPattern),
    hosts: compileAll('hosts', spec.hosts, compileHostPattern),
    domains: compileAll('domains', spec.domains, compileDomainPattern),
  };
}
