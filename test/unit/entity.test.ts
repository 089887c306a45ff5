import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalDomain,
  canonicalEntity,
  canonicalHost,
  canonicalUrl,
  canonicalUser,
  domainOfUrl,
  ENTITY_KINDS,
  type EntityKind,
} from '../../domain/entity.ts';

type Accepted = ReadonlyArray<[input: string, canonical: string]>;
type Refused = ReadonlyArray<[input: string, reason: string]>;

/** Every accepted input gives its canonical text, which is a fixed point; every refused one names its reason. */
function table(name: string, canonicalize: (text: string) => string, accepted: Accepted, refused: Refused): void {
  describe(name, () => {
    for (const [input, canonical] of accepted) {
      test(`accepts ${JSON.stringify(input)} as ${canonical}`, () => {
        assert.equal(canonicalize(input), canonical);
        assert.equal(canonicalize(canonical), canonical, 'canonical text must canonicalise to itself');
      });
    }
    for (const [input, reason] of refused) {
      test(`refuses ${JSON.stringify(input.slice(0, 60))}: ${reason}`, () => {
        assert.throws(() => canonicalize(input), (err: Error) => {
          assert.equal(err.constructor, Error);
          assert.ok(err.message.includes(reason), `expected ${JSON.stringify(reason)} in ${JSON.stringify(err.message)}`);
          return true;
        });
      });
    }
  });
}

table('canonicalUser', canonicalUser, [
  ['alice', 'alice'],
  ['Alice', 'alice'],
  ['a.smith', 'a.smith'],
  ['svc_backup', 'svc_backup'],
  ['alice-2', 'alice-2'],
  ['DC01$', 'dc01$'],
  ['alice+alerts@example.org', 'alice+alerts@example.org'],
  ['Alice@Example.ORG', 'alice@example.org'],
  ['alice@example.org.', 'alice@example.org'],
  ['alice@Bücher.Example', 'alice@xn--bcher-kva.example'],
  ['CORP\\Alice', 'corp\\alice'],
  ['corp.example\\alice', 'corp.example\\alice'],
  ['a'.repeat(256), 'a'.repeat(256)],
], [
  ['', 'empty'],
  ['a'.repeat(257), 'longer than 256'],
  ['ali\u0000ce', 'control character U+0000 at position 4'],
  ['alice\t', 'control character U+0009 at position 6'],
  ['alice\n', 'control character U+000A'],
  ['alice ', 'character " " at position 6'],
  [' alice', 'character " " at position 1'],
  ['al ice@example.org', 'character " " at position 3'],
  ['alice@exa mple.org', 'character " " at position 10'],
  ['alice\u202e', 'invisible character U+202E'],
  ['al\u200bice', 'invisible character U+200B at position 3'],
  ['alice\u00a0', 'invisible character U+00A0'],
  ['\u0430lice', 'character "\u0430" (U+0430) at position 1 is not allowed in a user name: account names must be ASCII'],
  ['\u0430lice@example.org', 'U+0430'],
  ['alice\uff20example.org', 'U+FF20'],
  ['j\u00f6rg', 'account names must be ASCII'],
  ['alice@bob@example.org', 'more than one "@"'],
  ['a\\b\\c', 'more than one "\\"'],
  ['corp\\alice@example.org', 'not both'],
  ['"alice"@example.org', 'quotes and angle brackets'],
  ["o'brien", 'quotes and angle brackets'],
  ['<alice>', 'quotes and angle brackets'],
  ['alice/admin', 'character "/" at position 6'],
  ['alice:admin', 'incident ids'],
  ['svc-*', 'wildcard of protect patterns'],
  ['.alice', 'start or end with a dot'],
  ['alice.', 'start or end with a dot'],
  ['a..lice', 'two dots in a row'],
  ['@example.org', 'account name of a user is empty'],
  ['alice@', 'in the domain after "@": a domain is empty'],
  ['alice@localhost', 'in the domain after "@": a domain needs at least two labels'],
  ['alice@203.0.113.7', 'is an IP address'],
  ['\\alice', 'in the domain before "\\": a host name is empty'],
  ['corp\\', 'account name of a user is empty'],
]);

table('canonicalHost', canonicalHost, [
  ['dc01', 'dc01'],
  ['DC01', 'dc01'],
  ['SQL_01', 'sql_01'],
  ['web-01.corp.example', 'web-01.corp.example'],
  ['Web-01.Corp.Example.', 'web-01.corp.example'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['a1', 'a1'],
  ['h'.repeat(63), 'h'.repeat(63)],
  [`${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(61)}`, `${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(61)}`],
], [
  ['', 'a host name is empty'],
  ['.', 'a host name is empty'],
  ['dc 1', 'character " " at position 3 is not allowed in a host name'],
  ['dc01 ', 'character " " at position 5'],
  ['dc01\u0000', 'control character U+0000'],
  ['dc01\n', 'control character U+000A'],
  ['dc\u200b01', 'invisible character U+200B at position 3'],
  ['dc01\u202e', 'invisible character U+202E'],
  ['\uff44c01', 'character "\uff44" (U+FF44) at position 1'],
  ['b\u00fccher', 'U+00FC'],
  ['dc01:3389', 'character ":"'],
  ['dc01/admin', 'character "/"'],
  ['*.corp.example', 'character "*"'],
  ['203.0.113.7', '203.0.113.7 is an IP address, not a host name: addresses and ranges are the address kind'],
  ['2001:DB8::1', '2001:db8::1 is an IP address'],
  ['::ffff:203.0.113.7', '203.0.113.7 is an IP address'],
  ['1.2.3', 'ends in a number'],
  ['2130706433', 'ends in a number'],
  ['web.0x7f', 'ends in a number'],
  ['-dc01', 'starts or ends with a hyphen'],
  ['dc01-.corp', 'starts or ends with a hyphen'],
  ['dc01..corp', 'empty label'],
  ['.dc01', 'empty label'],
  ['dc01..', 'empty label'],
  ['h'.repeat(64), 'longer than 63'],
  [`${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(62)}`, 'longer than 253'],
]);

table('canonicalDomain', canonicalDomain, [
  ['example.org', 'example.org'],
  ['Example.ORG', 'example.org'],
  ['example.org.', 'example.org'],
  ['Bücher.Example', 'xn--bcher-kva.example'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['MÜNCHEN.example', 'xn--mnchen-3ya.example'],
  ['a-b.c-d.example', 'a-b.c-d.example'],
  // A Cyrillic look-alike is a different domain, and its punycode shows it.
  ['p\u0430ypal.com', 'xn--pypal-4ve.com'],
  // UTS-46 folds full-width forms and ideographic full stops to ASCII, as browsers do.
  ['\uff45xample.org', 'example.org'],
  ['example\u3002org', 'example.org'],
], [
  ['', 'a domain is empty'],
  ['localhost', 'at least two labels'],
  ['example', 'at least two labels'],
  [' example.org', 'character " " at position 1 is not allowed in a domain'],
  ['example.org ', 'character " " at position 12'],
  ['exa mple.org', 'character " " at position 4'],
  ['example.org\u0000', 'control character U+0000'],
  ['example.org\t', 'control character U+0009'],
  ['example.org\n', 'control character U+000A'],
  ['ex\u00adample.org', 'invisible character U+00AD'],
  ['ex\u200bample.org', 'invisible character U+200B at position 3'],
  ['example.org\u202e', 'invisible character U+202E'],
  ['*.example.org', 'wildcards belong in protect patterns'],
  ['a_b.example.org', 'underscores are allowed in host names, not in domains'],
  ['http://example.org', 'give a URL in the url field'],
  ['https://example.org/path', 'give a URL in the url field'],
  ['example.org/path', 'give a URL in the url field'],
  ['example.org:443', 'give a URL in the url field'],
  ['203.0.113.7', '203.0.113.7 is an IP address, not a domain'],
  ['2001:db8::1', 'is an IP address'],
  ['fe80::1', 'is an IP address'],
  ['1.2.3', 'read this domain as the IP address 1.2.0.3'],
  ['0x7f.1', 'read this domain as the IP address 127.0.0.1'],
  ['\uff11.\uff12.\uff13.\uff14', 'read this domain as the IP address 1.2.3.4'],
  ['alice@example.org', 'character "@"'],
  ['[::1]', 'character "["'],
  ['xn--zz.example', 'IDNA refuses it'],
  ['-a.example', 'starts or ends with a hyphen'],
  ['example.org..', 'empty label'],
  ['.example.org', 'empty label'],
  ['a\uff0fb.example', 'IDNA refuses it'],
  [`${'d'.repeat(64)}.example`, 'longer than 63'],
  [`${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(62)}`, 'longer than 253'],
  ['d'.repeat(1025), 'longer than 1024'],
]);

table('canonicalUrl', canonicalUrl, [
  ['http://evil.example/', 'http://evil.example/'],
  ['http://evil.example', 'http://evil.example/'],
  ['https://evil.example/login?next=%2F', 'https://evil.example/login?next=%2F'],
  ['http://user:pass@evil.example/#frag', 'http://evil.example/'],
  ['http://user@evil.example/a', 'http://evil.example/a'],
  ['HTTP://EVIL.Example:80/a', 'http://evil.example/a'],
  ['https://evil.example:443/', 'https://evil.example/'],
  ['http://evil.example:443/', 'http://evil.example:443/'],
  ['http://evil.example.:8080/a/../b', 'http://evil.example:8080/b'],
  ['https://Bücher.Example/ä?q=ü', 'https://xn--bcher-kva.example/%C3%A4?q=%C3%BC'],
  ['http://evil.example/A/B?Q=1', 'http://evil.example/A/B?Q=1'],
  ['http://evil.example/?', 'http://evil.example/?'],
  ['http://203.0.113.7/payload', 'http://203.0.113.7/payload'],
  ['http://[2001:DB8:0::1]:8080/x', 'http://[2001:db8::1]:8080/x'],
  ['http://[::ffff:203.0.113.7]/', 'http://203.0.113.7/'],
  // A browser connects to 127.0.0.1 for these, so that is what the URL names.
  ['http://0x7f.1/', 'http://127.0.0.1/'],
  ['http://2130706433/', 'http://127.0.0.1/'],
], [
  ['', 'must start with http:// or https://'],
  ['evil.example/path', 'must start with http:// or https://'],
  ['javascript:alert(1)', 'only http: and https: URLs are accepted, not javascript:'],
  ['JavaScript:alert(1)', 'not javascript:'],
  ['data:text/html,<script>', 'not data:'],
  ['ftp://evil.example/', 'not ftp:'],
  ['file:///etc/passwd', 'not file:'],
  ['http:evil.example', 'must start with http:// or https://'],
  ['http:/evil.example', 'must start with http:// or https://'],
  ['http:///evil.example', 'must start with http:// or https://'],
  [' http://evil.example/', 'character " " at position 1 is not allowed in a URL'],
  ['http://evil.example/ ', 'character " " at position 21'],
  ['http://evil.example/a b', 'character " "'],
  ['http://evil.example/\u0000', 'control character U+0000'],
  ['http://evil.example/a\tb', 'control character U+0009'],
  ['http://evil.exa\nmple/', 'control character U+000A'],
  ['http://evil.example/\u202egnp.exe', 'invisible character U+202E'],
  ['http://ev\u200bil.example/', 'invisible character U+200B'],
  ['http://evil.example\\@good.example/', 'may not contain "\\"'],
  ['http://evil.example/a\\b', 'may not contain "\\"'],
  ['http://ev%E2%80%8Bil.example/', 'may not be percent-encoded'],
  ['http://intranet/', "in the URL's host: a domain needs at least two labels"],
  ['http://a_b.evil.example/', 'underscores'],
  ['http://evil.example:99999/', 'WHATWG'],
  ['http://[::1/', 'WHATWG'],
  [`http://evil.example/${'a'.repeat(2029)}`, 'longer than 2048'],
  [`http://evil.example/${'\u00e9'.repeat(500)}`, 'longer than 2048 characters once canonical'],
]);

describe('domainOfUrl', () => {
  const cases: Accepted = [
    ['http://user:pass@Evil.Example:8080/a?b#c', 'evil.example'],
    ['https://Bücher.Example/', 'xn--bcher-kva.example'],
    ['http://203.0.113.7/', '203.0.113.7'],
    ['http://[2001:db8::1]/', '2001:db8::1'],
  ];
  for (const [url, domain] of cases) {
    test(`${url} → ${domain}`, () => {
      assert.equal(domainOfUrl(url), domain);
      assert.equal(domainOfUrl(canonicalUrl(url)), domain);
    });
  }

  test('refuses what canonicalUrl refuses', () => {
    assert.throws(() => domainOfUrl('javascript:alert(1)'), /not javascript:/);
  });
});

describe('canonicalEntity', () => {
  const cases: ReadonlyArray<[kind: EntityKind, input: string, canonical: string]> = [
    ['address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['address', '2001:DB8::/32', '2001:db8::/32'],
    ['user', 'Alice@Example.ORG', 'alice@example.org'],
    ['host', 'DC01.', 'dc01'],
    ['url', 'HTTP://EVIL.Example:80/a', 'http://evil.example/a'],
    ['domain', 'Bücher.Example', 'xn--bcher-kva.example'],
  ];
  for (const [kind, input, canonical] of cases) {
    test(`${kind} ${input} → ${canonical}`, () => {
      assert.equal(canonicalEntity(kind, input), canonical);
    });
  }

  test('every kind has a case', () => {
    assert.deepEqual([...new Set(cases.map(([kind]) => kind))].sort(), [...ENTITY_KINDS].sort());
  });

  test('an address with host bits set is refused, as for blocks', () => {
    assert.throws(() => canonicalEntity('address', '203.0.113.7/24'), /host bits are set/);
  });

  test('the same text is refused or accepted by kind', () => {
    assert.throws(() => canonicalEntity('host', '203.0.113.7'), /address kind/);
    assert.throws(() => canonicalEntity('domain', 'dc01'), /at least two labels/);
    assert.equal(canonicalEntity('host', 'sql_01.corp.example'), 'sql_01.corp.example');
    assert.throws(() => canonicalEntity('domain', 'sql_01.corp.example'), /underscores/);
  });
});
