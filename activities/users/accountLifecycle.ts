import type { UserActionResult, UserDirectory } from './userDirectory.ts';

/** An account as the provider reports it before anything is changed. */
export interface Account {
  /** The provider's own id, used for every later call. */
  ref: string;
  /** Whether the block a disable sets (Okta SUSPENDED, Entra accountEnabled false) is already in place. */
  disabled: boolean;
  /** A state of the provider's own that already keeps the account out (Okta DEPROVISIONED): left alone both ways. */
  inert?: string;
}

/** The provider calls behind a directory whose disable is "block sign-in, then end sessions". */
export interface AccountSteps {
  /** Shown in details: `Okta`, `Entra ID`. */
  provider: string;
  /** The provider's words for the two states: `suspended`/`unsuspended`. */
  disabledWord: string;
  enabledWord: string;
  find(user: string): Promise<Account>;
  block(account: Account): Promise<void>;
  endSessions(account: Account): Promise<void>;
  unblock(account: Account): Promise<void>;
}

/**
 * Reads the account first so a repeat does only what is missing: a retried or repeated disable blocks once but ends
 * sessions every time (a session may have started since), and enable touches only an account that disable blocked.
 */
export function lifecycleDirectory(name: string, steps: AccountSteps): UserDirectory {
  const said = (account: Account, state: string, then = ''): UserActionResult =>
    ({ detail: `${state} in ${steps.provider} (${account.ref})${then}`, ref: account.ref });
  const leftAlone = (account: Account, inert: string) => said(account, inert.toLowerCase(), ', cannot sign in; left as is');
  return {
    name,
    async disable(user) {
      const account = await steps.find(user);
      if (account.inert) return leftAlone(account, account.inert);
      if (!account.disabled) await steps.block(account);
      await steps.endSessions(account);
      return said(account, `${account.disabled ? 'already ' : ''}${steps.disabledWord}`, ', sessions ended');
    },
    async enable(user) {
      const account = await steps.find(user);
      if (account.inert) return leftAlone(account, account.inert);
      if (!account.disabled) return said(account, `not ${steps.disabledWord}`, ', nothing to do');
      await steps.unblock(account);
      return said(account, steps.enabledWord);
    },
  };
}
