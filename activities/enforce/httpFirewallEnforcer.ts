import { z } from 'zod';
import type { CanonicalCidr } from '../../domain/ip.ts';
import { canonicalTarget, checkedBlock } from './blockTarget.ts';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';
import { createTemplateClient } from './httpFirewallClient.ts';
import { createRulesFirewall } from './httpFirewallRules.ts';
import { createSetFirewall } from './httpFirewallSet.ts';
import { type HttpFirewallTemplate, HttpFirewallTemplateError, loadHttpFirewallTemplate } from './httpFirewallTemplate.ts';
import { enforcementPointDefinition, type PointContext } from './pointDefinition.ts';

export interface HttpFirewallOptions {
  template: HttpFirewallTemplate;
  /** The template's variables, read from the environment by the caller. */
  variable: (name: string) => string | undefined;
  allowlist: readonly CanonicalCidr[];
  /** Targets worked on at once by a `rules` template; default 4. */
  concurrency?: number;
}

/**
 * A firewall reached through its HTTP API as a template describes it (httpFirewallTemplate.ts). Vendor answers go
 * through vendorRequest: a 4xx is a final refusal, a 5xx, 408 or 429 is retried after the vendor's `Retry-After`. No
 * vendor keeps an expiry per entry, so the block shards remove each block when it ends, and list() reports what is
 * there for reconcile to repair.
 */
export function createHttpFirewallEnforcer(options: HttpFirewallOptions): EnforcementPoint {
  const { template } = options;
  const client = createTemplateClient(template, options.variable);
  const firewall = template.mode === 'rules'
    ? createRulesFirewall(template, client, Math.max(1, options.concurrency ?? 4))
    : createSetFirewall(template, client, options.variable);
  return {
    name: 'http',
    async apply({ address, expiresAt }: BlockTarget) {
      const target = checkedBlock({ address, expiresAt }, options.allowlist);
      await firewall.apply(target, expiresAt);
    },
    async remove(address: string) {
      await firewall.remove(canonicalTarget(address));
    },
    list: () => firewall.list(),
  };
}

export const httpFirewallPoint = enforcementPointDefinition({
  name: 'http',
  description: "a firewall's HTTP API from a YAML template: cloudflare, aws-waf, or a team's own file",
  settings: z.object({
    RIPOSTE_HTTP_FIREWALL_TEMPLATE: z.string({ error: 'set it to cloudflare, aws-waf, or the path of a template file' }).min(1),
  }),
  create: (settings, context: PointContext) => {
    const template = loadHttpFirewallTemplate(settings.RIPOSTE_HTTP_FIREWALL_TEMPLATE);
    if (!context.variable) throw new HttpFirewallTemplateError('the http point reads its template\'s variables through the point context, which this process does not provide');
    return createHttpFirewallEnforcer({ template, variable: context.variable, allowlist: context.allowlist });
  },
});
