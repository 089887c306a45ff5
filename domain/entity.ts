import { canonicalBlockTarget, canonicalCidr } from './ip.ts';

/**
 * What an incident is about, each kind with one canonical text: incident ids, protection checks and actions compare
 * these texts, so two spellings of one user, host or URL must never give two texts. `url` and `domain` are the design's
 * "URL or domain" kind, split so a blocklist knows which it holds.
 */
export const ENTITY_KINDS = ['address', 'user', 'host', 'url', 'domain'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

const MAX_USER = 256;
const MAX_NAME = 253;
const MAX_LABEL = 63;
const MAX_URL = 2048;
// Unicode text for a domain is shorter than its punycode; this only stops huge input before IDNA works on it.
const MAX_RAW_DOMAIN = 1024;

// Characters a reader cannot see, or sees as something else: controls, format characters (zero-width, bidi
// overrides), every kind of space, private-use and unassigned code points, lone surrogates.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\p{Co}\p{Cn}\p{Cs}\s]/u;

/** Names a character so a log line shows what it is, never the character itself when it is invisible. */
function describeChar(ch: string): string {
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (/^[\x20-\x7e]$/.test(ch)) return `character ${JSON.stringify(ch)}`;
  if (/^\p{Cc}$/u.test(ch)) return `control character ${code}`;
  if (INVISIBLE.test(ch)) return `invisible character ${code}`;
  return `character "${ch}" (${code})`;
}

/** Throws at the first character `allowed` refuses, naming it and its 1-based position, with `why` when given. */
function checkChars(text: string, what: string, allowed: (ch: string) => boolean, why: (ch: string) => string = () => ''): void {
  [...text].forEach((ch, index) => {
    if (allowed(ch)) return;
    const reason = why(ch);
    throw new Error(`${describeChar(ch)} at position ${index + 1} is not allowed in ${what}${reason ? `: ${reason}` : ''}`);
  });
}

function refuseInvisible(text: string, what: string): void {
  checkChars(text, what, (ch) => !INVISIBLE.test(ch));
}

function ipLiteral(text: string): string | undefined {
  try {
    return canonicalCidr(text).text;
  } catch {
    return undefined;
  }
}

function refuseIpLiteral(text: string, what: string): void {
  const ip = ipLiteral(text);
  if (ip !== undefined) throw new Error(`${ip} is an IP address, not ${what}: addresses and ranges are the address kind`);
}

function withoutTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * Label rules shared by host names and domains, on lower-case ASCII. A last label that is a number is refused: URL
 * parsers and resolvers read `1.2.3` or `0x7f.1` as an IPv4 address, so such a name is an address in disguise.
 */
function checkLabels(name: string, what: string): void {
  if (name.length === 0) throw new Error(`${what} is empty`);
  if (name.length > MAX_NAME) throw new Error(`${what} is longer than ${MAX_NAME} characters`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) throw new Error(`${what} has an empty label (a leading dot or two dots in a row)`);
    if (label.length > MAX_LABEL) throw new Error(`a label of ${what} is longer than ${MAX_LABEL} characters`);
    if (label.startsWith('-') || label.endsWith('-')) throw new Error(`a label of ${what} starts or ends with a hyphen`);
  }
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1]!)) {
    throw new Error(`${what} ends in a number, which URL parsers read as an IPv4 address: addresses are the address kind`);
  }
}

/**
 * A machine's name, lower-case: a single label (`dc01`) or a fully qualified one (`dc01.corp.example`), never
 * internationalised. `_` is allowed because Windows NetBIOS names carry it (`SQL_01`), though DNS host names may not.
 */
export function canonicalHost(text: string): string {
  refuseIpLiteral(text, 'a host name');
  checkChars(text, 'a host name', (ch) => /^[A-Za-z0-9._-]$/.test(ch));
  const name = withoutTrailingDot(text).toLowerCase();
  checkLabels(name, 'a host name');
  return name;
}

/** UTS-46 mapping and punycode by the WHATWG URL parser, the one browsers use; undefined when IDNA refuses it. */
function toAscii(name: string): string | undefined {
  try {
    return new URL(`http://${name}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * A registrable-style DNS name, lower-case punycode (`Bücher.Example` → `xn--bcher-kva.example`), at least two labels.
 * Invisible characters are refused before IDNA because UTS-46 silently deletes some (U+00AD, U+200B), and two inputs
 * that differ by an invisible character must not quietly become one domain.
 */
export function canonicalDomain(text: string): string {
  if (text.length === 0) throw new Error('a domain is empty');
  if (text.length > MAX_RAW_DOMAIN) throw new Error(`a domain is longer than ${MAX_RAW_DOMAIN} characters`);
  refuseInvisible(text, 'a domain');
  refuseIpLiteral(text, 'a domain');
  if (text.includes('/') || /^[a-z][a-z0-9+.-]*:/i.test(text)) {
    throw new Error('a domain has no scheme, port or path: give a URL in the url field');
  }
  if (text.includes('*')) throw new Error('a domain may not contain "*": wildcards belong in protect patterns');
  checkChars(text, 'a domain', (ch) => ch > '\x7f' || /^[A-Za-z0-9.-]$/.test(ch), (ch) =>
    ch === '_' ? 'underscores are allowed in host names, not in domains' : '');
  const ascii = toAscii(text);
  if (ascii === undefined) throw new Error('a domain must be a valid internationalised domain name (IDNA refuses it)');
  const readAs = ipLiteral(ascii);
  if (readAs !== undefined) throw new Error(`URL parsers read this domain as the IP address ${readAs}: addresses are the address kind`);
  const name = withoutTrailingDot(ascii);
  checkChars(name, 'a domain after IDNA mapping', (ch) => /^[a-z0-9.-]$/.test(ch));
  checkLabels(name, 'a domain');
  if (!name.includes('.')) throw new Error('a domain needs at least two labels: a single name is a host');
  return name;
}

/** Characters of an account name: what directory logins use, `$` for Windows machine accounts, `+` for sub-addresses. */
const ACCOUNT_CHAR = /^[A-Za-z0-9._+$-]$/;

function accountCharWhy(ch: string): string {
  if (ch > '\x7f') return 'account names must be ASCII, since look-alike letters from other scripts (Cyrillic "а" for Latin "a") would name another user';
  if (ch === ':') return 'it would make incident ids (<playbook>:<entity>) hard to read';
  if (/^["'`<>]$/.test(ch)) return 'quotes and angle brackets belong to display names, not account names';
  if (ch === '*') return '"*" is the wildcard of protect patterns';
  return '';
}

function canonicalAccount(name: string): string {
  if (name.length === 0) throw new Error('the account name of a user is empty');
  checkChars(name, 'a user name', (ch) => ACCOUNT_CHAR.test(ch), accountCharWhy);
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw new Error('an account name may not start or end with a dot, or have two dots in a row');
  }
  return name.toLowerCase();
}

function inPart(part: string, canonicalize: (text: string) => string, text: string): string {
  try {
    return canonicalize(text);
  } catch (err) {
    throw new Error(`in the ${part}: ${(err as Error).message}`);
  }
}

/**
 * A user, lower-case: a bare login (`alice`), a UPN or e-mail address (`alice@example.org`, its domain in IDNA form),
 * or a down-level logon name (`corp\alice`, its domain under host-name rules). The down-level form is accepted because
 * Windows security events name users that way; it is not mapped to a UPN, since which DNS domain a NetBIOS domain
 * stands for is the directory's knowledge, so `corp\alice` and `alice@corp.example` are two entities.
 */
export function canonicalUser(text: string): string {
  if (text.length === 0) throw new Error('a user name is empty');
  if (text.length > MAX_USER) throw new Error(`a user name is longer than ${MAX_USER} characters`);
  refuseInvisible(text, 'a user name');
  const atParts = text.split('@');
  const slashParts = text.split('\\');
  if (atParts.length > 2) throw new Error('a user name has more than one "@"');
  if (slashParts.length > 2) throw new Error('a user name has more than one "\\"');
  if (atParts.length === 2 && slashParts.length === 2) throw new Error('a user name is either DOMAIN\\user or user@domain, not both');
  if (atParts.length === 2) {
    return `${canonicalAccount(atParts[0]!)}@${inPart('domain after "@"', canonicalDomain, atParts[1]!)}`;
  }
  if (slashParts.length === 2) {
    return `${inPart('domain before "\\"', canonicalHost, slashParts[0]!)}\\${canonicalAccount(slashParts[1]!)}`;
  }
  return canonicalAccount(text);
}

/** The parts of a canonical URL: its text and its host (a canonical domain or IP address, without brackets). */
function parseUrl(text: string): { href: string; host: string } {
  if (text.length > MAX_URL) throw new Error(`a URL is longer than ${MAX_URL} characters`);
  // WHATWG parsing drops tabs and newlines and trims spaces, so a URL with them means different things to different readers.
  refuseInvisible(text, 'a URL');
  if (text.includes('\\')) throw new Error('a URL may not contain "\\": browsers read it as "/", other parsers do not');
  const authority = /^https?:\/\/([^/?#]+)/i.exec(text)?.[1];
  if (authority === undefined) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1];
    throw new Error(scheme && !/^https?$/i.test(scheme)
      ? `only http: and https: URLs are accepted, not ${scheme.toLowerCase()}:`
      : 'a URL must start with http:// or https:// and the host');
  }
  // WHATWG decodes a percent-encoded host before IDNA, which would let `%E2%80%8B` slip an invisible character past us.
  if (authority.includes('%')) throw new Error('a URL\'s host and credentials may not be percent-encoded');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('a URL must be valid by the WHATWG URL standard');
  }
  const host = canonicalUrlHost(url.hostname);
  url.username = '';
  url.password = '';
  url.hash = '';
  url.hostname = host.includes(':') ? `[${host}]` : host;
  if (url.href.length > MAX_URL) throw new Error(`a URL is longer than ${MAX_URL} characters once canonical`);
  return { href: url.href, host };
}

/**
 * The host as a browser reaches it: WHATWG has already read numeric forms (`0x7f.1`, `3232235777`) as the IPv4 address
 * a browser would connect to, and an IPv4-mapped IPv6 literal is folded to its IPv4 address like everywhere else.
 */
function canonicalUrlHost(hostname: string): string {
  const bracketed = hostname.startsWith('[');
  const literal = bracketed ? hostname.slice(1, -1) : hostname;
  const ip = ipLiteral(literal);
  if (ip !== undefined) return ip;
  return inPart("URL's host", canonicalDomain, literal);
}

/**
 * An http(s) URL as WHATWG serialises it, without credentials or fragment (neither reaches the server), its host a
 * canonical domain or IP address and a default port dropped: `HTTP://u:p@EVIL.Example:80/a#x` → `http://evil.example/a`.
 */
export function canonicalUrl(text: string): string {
  return parseUrl(text).href;
}

/** The canonical domain, or IP address, a URL points at. */
export function domainOfUrl(url: string): string {
  return parseUrl(url).host;
}

export function canonicalEntity(kind: EntityKind, text: string): string {
  switch (kind) {
    case 'address': return canonicalBlockTarget(text).text;
    case 'user': return canonicalUser(text);
    case 'host': return canonicalHost(text);
    case 'url': return canonicalUrl(text);
    case 'domain': return canonicalDomain(text);
  }
}
