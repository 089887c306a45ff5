import { z } from 'zod';
import { canonicalHost, canonicalUser } from '../../domain/entity.ts';
import { alertSource } from './source.ts';
import { description, isRecord, oneOfShapes, usable } from './vendorShapes.ts';
import { countOf, digestId, firstUsable, instant, instantField, present, usableIp } from './vendorValues.ts';

/**
 * Wazuh's rule levels on Riposte's 1–10 scale, by Wazuh's own classification of the levels: 0 ignored, 2 low-priority
 * system notification, 3 successful or authorised event, 4 low-priority system error, 5 user-generated error, 6
 * low-relevance attack, 7 "bad word" match, 8 first time seen, 9 error from an invalid source, 10 multiple
 * user-generated errors (the brute-force correlations), 11 integrity-checking warning, 12 high-importance event, 13
 * unusual error, 14 high-importance security event, 15 severe attack. Level 16 is allowed by the rule syntax.
 */
export const WAZUH_SEVERITY: readonly number[] = [1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 10];

const optionalText = z.string().optional();

/** An alert as Wazuh writes it to alerts.json, which is what the integrator hands an integration. */
const alertSchema = z.looseObject({
  id: z.string().min(1).max(200).optional(),
  timestamp: instantField.optional(),
  rule: z.looseObject({
    id: z.string().min(1).max(20),
    level: z.number().int().min(0).max(WAZUH_SEVERITY.length - 1),
    description: optionalText,
    groups: z.array(z.string()).optional(),
    // A correlation rule (5712: eight failures in 120 s) states how many events it counted.
    frequency: z.number().int().min(1).optional(),
  }),
  agent: z.looseObject({ name: optionalText }).optional(),
  data: z.looseObject({
    srcip: optionalText,
    srcuser: optionalText,
    dstuser: optionalText,
    win: z.looseObject({
      eventdata: z.looseObject({ ipAddress: optionalText, targetUserName: optionalText }).optional(),
    }).optional(),
  }).optional(),
  full_log: optionalText,
});
type WazuhAlert = z.output<typeof alertSchema>;

// The Shuffle integration posts `{severity, pretext, title, text, rule_id, timestamp, id, all_fields}`, the alert whole
// under `all_fields`; the integrator's alert JSON is posted as it is by a custom integration.
const shuffleShape = z.looseObject({ all_fields: alertSchema }).transform((body) => ({ alert: body.all_fields, path: ['all_fields'] }));
const alertShape = alertSchema.transform((alert) => ({ alert, path: [] as string[] }));
const wazuhBody = oneOfShapes<{ alert: WazuhAlert; path: string[] }>((value) => (isRecord(value) && Object.hasOwn(value, 'all_fields') ? shuffleShape : alertShape));

const AUTH_FAILURE = 'auth.failure';
const AUTH_SUCCESS = 'auth.success';

export const wazuh = alertSource({
  name: 'wazuh',
  body: wazuhBody,
  // Rule ids from Wazuh's ruleset (0095-sshd_rules.xml, 0580-win-security_rules.xml), then its authentication groups.
  stockTypes: {
    'rule:5710': AUTH_FAILURE, // sshd: attempt to login using a non-existent user
    'rule:5712': AUTH_FAILURE, // sshd: brute force trying to get access to the system (eight 5710 in 120 s)
    'rule:5716': AUTH_FAILURE, // sshd: authentication failed
    'rule:5720': AUTH_FAILURE, // sshd: multiple authentication failures
    'rule:5758': AUTH_FAILURE, // sshd: maximum authentication attempts exceeded
    'rule:5760': AUTH_FAILURE, // sshd: authentication failed (failed password)
    'rule:5763': AUTH_FAILURE, // sshd: brute force trying to get access to the system, authentication failed (eight 5760)
    'rule:5765': AUTH_FAILURE, // the same correlation of 5760, under this id in some 4.x rulesets
    'rule:60122': AUTH_FAILURE, // Windows: logon failure, unknown user or bad password (event 4625, RDP included)
    'rule:60204': AUTH_FAILURE, // Windows: multiple logon failures from one address
    'rule:5715': AUTH_SUCCESS, // sshd: authentication success
    'rule:60106': AUTH_SUCCESS, // Windows: logon success (event 4624)
    'group:authentication_failed': AUTH_FAILURE,
    'group:authentication_failures': AUTH_FAILURE,
    'group:win_authentication_failed': AUTH_FAILURE,
    'group:invalid_login': AUTH_FAILURE,
  },
  alerts: ({ alert, path }, { receivedAt, typeFor }) => {
    const { rule } = alert;
    const keys = [`rule:${rule.id}`, ...(rule.groups ?? []).map((group) => `group:${group}`)];
    const windows = alert.data?.win?.eventdata;
    const what = rule.description ?? `rule ${rule.id}`;
    const count = countOf(rule.frequency);
    return [{
      alert: {
        id: alert.id ?? digestId('wazuh', alert),
        type: typeFor(keys, what),
        severity: WAZUH_SEVERITY[rule.level]!,
        description: description(`${what} (Wazuh rule ${rule.id}, level ${rule.level})`),
        ...present({
          sourceIp: firstUsable(usableIp, [alert.data?.srcip, windows?.ipAddress]),
          // The account logged into (`dstuser`), else the one named by the attempt (`srcuser`, an invalid user).
          user: firstUsable((name) => usable(canonicalUser, name), [alert.data?.dstuser, alert.data?.srcuser, windows?.targetUserName]),
          host: usable(canonicalHost, alert.agent?.name),
          count,
        }),
        occurredAt: (alert.timestamp !== undefined ? instant(alert.timestamp) : undefined) ?? receivedAt.toISOString(),
      },
      original: alert,
      path,
    }];
  },
});
