import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileDomainPattern,
  compileHostPattern,
  compileProtect,
  compileUserPattern,
  type ProtectableKind,
  protectedBy,
  protectSchema,
} from '../../domain/protect.ts';

const protection = compileProtect({
  users: ['svc-*', '*@admin.example.org', 'CORP\\Administrator', 'root', 'ops.*@*.example.net'],
  hosts: ['dc*', 'dc*.corp.example', '*.vault.corp.example', 'SQL_01.db.corp.example'],
  domains: ['*.example.org', 'login.bank.example', 'cdn*.assets.example', '*.Bücher.example'],
});

/** [kind, canonical value, the pattern expected to protect it or undefined]. */
const CASES: ReadonlyArray<[kind: ProtectableKind, value: string, pattern: string | undefined]> = [
  // A user pattern without a domain matches the account name in every form.
  ['user', 'svc-backup', 'svc-*'],
  ['user', 'svc-', 'svc-*'],
  ['user', 'svc-backup@corp.example', 'svc-*'],
  ['user', 'corp\\svc-backup', 'svc-*'],
  ['user', 'svc_backup', undefined],
  ['user', 'xsvc-backup', undefined],
  ['user', 'root', 'root'],
  ['user', 'root@example.com', 'root'],
  ['user', 'rooted', undefined],
  // A UPN pattern matches UPNs in that domain only; its domain part follows the domain rules.
  ['user', 'alice@admin.example.org', '*@admin.example.org'],
  ['user', 'alice@sub.admin.example.org', undefined],
  ['user', 'alice@example.org', undefined],
  ['user', 'admin\\alice', undefined],
  ['user', 'alice', undefined],
  ['user', 'ops.bob@eu.example.net', 'ops.*@*.example.net'],
  ['user', 'ops.bob@example.net', 'ops.*@*.example.net'],
  ['user', 'ops.bob@a.b.example.net', 'ops.*@*.example.net'],
  ['user', 'ops.bob@example.com', undefined],
  ['user', 'ops.bob', undefined],
  // A down-level pattern matches that domain's down-level names only.
  ['user', 'corp\\administrator', 'corp\\administrator'],
  ['user', 'lab\\administrator', undefined],
  ['user', 'administrator', undefined],
  ['user', 'administrator@corp.example', undefined],
  // A one-label host pattern matches the first label of short and fully qualified names alike.
  ['host', 'dc01', 'dc*'],
  ['host', 'dc01.corp.example', 'dc*'],
  ['host', 'dc01.lab.other.example', 'dc*'],
  ['host', 'web01.dc.corp.example', undefined],
  ['host', 'adc01', undefined],
  // `*` stays within a label; a leading `*.` covers the name and everything under it.
  ['host', 'vault.corp.example', '*.vault.corp.example'],
  ['host', 'node1.vault.corp.example', '*.vault.corp.example'],
  ['host', 'a.b.vault.corp.example', '*.vault.corp.example'],
  ['host', 'xvault.corp.example', undefined],
  ['host', 'sql_01.db.corp.example', 'sql_01.db.corp.example'],
  ['host', 'sql_01', undefined],
  ['host', 'sql_01.db.corp.example.evil', undefined],
  ['domain', 'example.org', '*.example.org'],
  ['domain', 'www.example.org', '*.example.org'],
  ['domain', 'a.b.c.example.org', '*.example.org'],
  ['domain', 'evilexample.org', undefined],
  ['domain', 'example.org.evil.example', undefined],
  ['domain', 'login.bank.example', 'login.bank.example'],
  ['domain', 'bank.example', undefined],
  ['domain', 'evil.login.bank.example', undefined],
  ['domain', 'cdn.assets.example', 'cdn*.assets.example'],
  ['domain', 'cdn7.assets.example', 'cdn*.assets.example'],
  ['domain', 'x.cdn7.assets.example', undefined],
  ['domain', 'xn--bcher-kva.example', '*.xn--bcher-kva.example'],
  ['domain', 'shop.xn--bcher-kva.example', '*.xn--bcher-kva.example'],
  // A URL is protected when its domain is; a URL on an address never is (the allowlist's business).
  ['url', 'https://www.example.org/login', '*.example.org'],
  ['url', 'https://login.bank.example/', 'login.bank.example'],
  ['url', 'https://evil.example/www.example.org', undefined],
  ['url', 'http://203.0.113.7/', undefined],
];

describe('protectedBy', () => {
  for (const [kind, value, pattern] of CASES) {
    test(`${kind} ${value} → ${pattern ?? 'not protected'}`, () => {
      assert.equal(protectedBy(kind, value, protection), pattern);
    });
  }

  test('a non-canonical spelling is protected like its canonical form', () => {
    assert.equal(protectedBy('user', 'SVC-Backup', protection), 'svc-*');
    assert.equal(protectedBy('host', 'DC01.Corp.Example.', protection), 'dc*');
    assert.equal(protectedBy('domain', 'WWW.Example.ORG.', protection), '*.example.org');
    assert.equal(protectedBy('url', 'HTTPS://u:p@WWW.Example.ORG:443/#x', protection), '*.example.org');
    assert.equal(protectedBy('domain', 'Shop.Bücher.Example', protection), '*.xn--bcher-kva.example');
  });

  test('an invalid value throws rather than passing as unprotected', () => {
    assert.throws(() => protectedBy('user', 'svc-backup\u200b', protection), /U\+200B/);
    assert.throws(() => protectedBy('url', 'javascript:alert(1)', protection), /not javascript:/);
  });

  test('nothing is protected by an empty section', () => {
    const none = compileProtect({});
    for (const [kind, value] of CASES) assert.equal(protectedBy(kind, value, none), undefined);
  });

  test('the first matching pattern is the one named', () => {
    const both = compileProtect({ hosts: ['dc01.corp.example', 'dc*'] });
    assert.equal(protectedBy('host', 'dc01.corp.example', both), 'dc01.corp.example');
  });

  test('the compiled form survives JSON, as it travels in workflow payloads', () => {
    const copy = JSON.parse(JSON.stringify(protection));
    for (const [kind, value, pattern] of CASES) assert.equal(protectedBy(kind, value, copy), pattern);
  });

  test('many wildcards against a long value finish at once', () => {
    const stars = compileProtect({ users: [`${'a*'.repeat(30)}b`] });
    const started = performance.now();
    assert.equal(protectedBy('user', 'a'.repeat(256), stars), undefined);
    assert.ok(performance.now() - started < 100);
  });
});

describe('pattern compilation', () => {
  const accepted: ReadonlyArray<[compile: (text: string) => { text: string }, input: string, canonical: string]> = [
    [compileUserPattern, 'SVC-*', 'svc-*'],
    [compileUserPattern, '*@Admin.Example.ORG', '*@admin.example.org'],
    [compileUserPattern, 'CORP\\*', 'corp\\*'],
    [compileUserPattern, 'alice@*.Bücher.example', 'alice@*.xn--bcher-kva.example'],
    [compileUserPattern, '*$', '*$'],
    [compileHostPattern, 'DC*.Corp.Example.', 'dc*.corp.example'],
    [compileHostPattern, '*.corp.example', '*.corp.example'],
    [compileHostPattern, 'web-*', 'web-*'],
    [compileDomainPattern, '*.Bücher.Example', '*.xn--bcher-kva.example'],
    [compileDomainPattern, 'Example.ORG.', 'example.org'],
    [compileDomainPattern, 'cdn*.example.org', 'cdn*.example.org'],
    [compileDomainPattern, '*.org', '*.org'],
  ];
  for (const [compile, input, canonical] of accepted) {
    test(`${compile.name} ${JSON.stringify(input)} → ${canonical}`, () => {
      assert.equal(compile(input).text, canonical);
      assert.equal(compile(canonical).text, canonical);
    });
  }

  const refused: ReadonlyArray<[compile: (text: string) => unknown, input: string, reason: string]> = [
    [compileUserPattern, '*', 'nothing but "*" would protect every user'],
    [compileUserPattern, 'svc-**', '"**"'],
    [compileUserPattern, 'svc -*', 'character " "'],
    [compileUserPattern, 'svc-*\u200b', 'U+200B'],
    [compileUserPattern, '\u0430dmin*', 'must be ASCII'],
    [compileUserPattern, '*@*@example.org', 'more than one "@"'],
    [compileUserPattern, '*@localhost', 'at least two labels'],
    [compileUserPattern, '*@*', 'at least two labels'],
    [compileUserPattern, '*@*.*', 'nothing but "*" would protect every domain'],
    [compileUserPattern, '*\\*', 'nothing but "*" would protect every host'],
    [compileHostPattern, '*', 'nothing but "*" would protect every host'],
    [compileHostPattern, '*.', 'nothing but "*" would protect every host'],
    [compileHostPattern, 'dc* .corp', 'character " "'],
    [compileHostPattern, 'dc*..corp', 'empty label'],
    [compileHostPattern, '-*.corp', 'hyphen'],
    [compileHostPattern, '10.0.*.1', 'ends in a number'],
    [compileHostPattern, '203.0.113.7', 'is an IP address'],
    [compileHostPattern, 'dc?', 'character "?"'],
    [compileDomainPattern, '*', 'at least two labels'],
    [compileDomainPattern, '*.*', 'nothing but "*" would protect every domain'],
    [compileHostPattern, '*.*.*', 'nothing but "*" would protect every host'],
    [compileDomainPattern, '203.0.113.*', 'protect addresses with the allowlist'],
    [compileDomainPattern, '*.0.113.7*', 'protect addresses with the allowlist'],
    [compileHostPattern, '10.0.0.*', 'protect addresses with the allowlist'],
    [compileDomainPattern, 'b*\u00fccher.example', 'punycode'],
    [compileDomainPattern, '*.example.org/path', 'url field'],
    [compileDomainPattern, '*_x.example.org', 'underscores'],
    [compileDomainPattern, '*.example\u3002org', 'ASCII "."'],
    [compileDomainPattern, '*.example.org\u200b', 'U+200B'],
  ];
  for (const [compile, input, reason] of refused) {
    test(`${compile.name} refuses ${JSON.stringify(input)}: ${reason}`, () => {
      assert.throws(() => compile(input), (err: Error) => err.message.includes(reason));
    });
  }

  test('compileProtect names the section and index of an invalid pattern', () => {
    assert.throws(() => compileProtect({ users: ['root'], domains: ['example.org', 'http://x.example'] }), /^Error: protect\.domains\[1\]: .*url field/);
  });
});

describe('protectSchema', () => {
  test('absent, or with absent lists, it protects nothing', () => {
    assert.deepEqual(protectSchema.parse(undefined), { users: [], hosts: [], domains: [] });
    assert.deepEqual(protectSchema.parse({}), { users: [], hosts: [], domains: [] });
  });

  test('patterns leave canonical', () => {
    assert.deepEqual(protectSchema.parse({ users: ['SVC-*'], hosts: ['DC*.Corp.Example.'], domains: ['*.Bücher.Example'] }), {
      users: ['svc-*'],
      hosts: ['dc*.corp.example'],
      domains: ['*.xn--bcher-kva.example'],
    });
  });

  test('every invalid pattern is an issue at its path, with the reason', () => {
    const result = protectSchema.safeParse({ users: ['ok', '*'], hosts: ['dc 1'], domains: ['example.org', 'localhost'] });
    assert.equal(result.success, false);
    const issues = (result.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message]);
    assert.deepEqual(issues.map(([path]) => path), ['users.1', 'hosts.0', 'domains.1']);
    assert.match(issues[0]![1]!, /nothing but "\*"/);
    assert.match(issues[1]![1]!, /character " " at position 3/);
    assert.match(issues[2]![1]!, /at least two labels/);
  });

  test('unknown keys are refused', () => {
    const result = protectSchema.safeParse({ users: [], addresses: ['203.0.113.7'] });
    assert.equal(result.success, false);
    assert.equal(result.error?.issues[0]?.code, 'unrecognized_keys');
  });

  test('a pattern must be a string', () => {
    assert.equal(protectSchema.safeParse({ hosts: [7] }).success, false);
  });

  test('its output compiles', () => {
    const spec = protectSchema.parse({ domains: ['*.Example.ORG'] });
    assert.equal(protectedBy('domain', 'www.example.org', compileProtect(spec)), '*.example.org');
  });
});
