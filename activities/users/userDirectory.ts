/** What an identity provider did, for the incident's record and the audit trail. */
export interface UserActionResult {
  /** One human line: `suspended in Okta (00u1abc), 3 sessions cleared`. */
  detail: string;
  /** The provider's own id of the account, when it has one. */
  ref?: string;
  /** The account already was as asked: nothing was changed, so a revert must leave it as it is too. */
  unchanged?: true;
}

/**
 * An identity provider that can stop an account from signing in and let it back in. `user` is canonical
 * (domain/entity.ts canonicalUser: lower-case, `name@domain` or a bare login). Both calls are idempotent: disabling a
 * disabled account, or enabling an enabled one, succeeds and says so. Refusals throw via activities/vendorHttp.ts.
 */
export interface UserDirectory {
  readonly name: string;
  /** Suspends the account and ends its sessions and refresh tokens. */
  disable(user: string): Promise<UserActionResult>;
  enable(user: string): Promise<UserActionResult>;
}
