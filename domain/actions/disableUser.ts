import { z } from 'zod';
import { userField } from '../addressFields.ts';
import { protectedBy } from '../protect.ts';
import { type ActionKind, onChanged, onEvery } from './action.ts';

const params = z.object({ user: userField }).strict();
type DisableUserParams = z.output<typeof params>;

const NONE = 'no user directory is configured (OKTA_ORG_URL, ENTRA_TENANT_ID or RIPOSTE_USER_WEBHOOK_URL)';

export const disableUser: ActionKind<DisableUserParams> = {
  name: 'disable_user',
  params,
  containment: true,
  breaker: true,
  holds: true,
  approvalKey: 'disable_user',
  target: (p) => p.user,
  describe: (p) => `disable the account ${p.user}`,
  refusal: (p, guard) => {
    const rule = protectedBy('user', p.user, guard.protect);
    return rule ? `${p.user} is protected by ${rule}` : undefined;
  },
  idempotencyKey: (incidentId, p) => `${incidentId}|disable_user|${p.user}`,
  apply: (ports, p) => onEvery(ports.users, NONE, (directory) => directory.disable(p.user)),
  revert: (ports, p, _incident, applied) => onChanged(ports.users, applied, NONE, (directory) => directory.enable(p.user)),
};
