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
 * sessions every time (a session may have started since). A disable that found the account already blocked says so
 * (`unchanged`), so the incident's revert leaves that account blocked.
 */
export function lifecycleDirectory(name: string, steps: AccountSteps): UserDirectory {
  const said = (account: Account, state: string, then = '', unchanged = false): UserActionResult =>
    ({ detail: `${state} in ${steps.provider} (${account.ref})${then}`, ref: account.ref, ...(unchanged ? { unchanged: true as const } : {}) });
  const leftAlone = (account: Account, inert: string) => said(account, inert.toLowerCase(), ', cannot sign in; left as is', true);
  return {
    name,
    async disable(user) {
      const account = await steps.find(user);
      if (account.inert) return leftAlone(account, account.inert);
      if (!account.disabled) await steps.block(account);
      await steps.endSessions(account);
      return said(account, `${account.disabled ? 'already ' : ''}${steps.disabledWord}`, ', sessions ended', account.disabled);
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
