import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { unregisteredNames } from '../api/policyNames.ts';
import { type PolicySnapshot, policySchema } from '../domain/policy.ts';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Reads and validates the policy file; its version is the hash of its bytes, stamped on every incident. */
export async function loadPolicy(path: string): Promise<PolicySnapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new PolicyError(`policy ${path}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  let document: unknown;
  try {
    document = parse(bytes.toString('utf8')) ?? {};
  } catch (err) {
    throw new PolicyError(`policy ${path}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = policySchema.safeParse(document);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new PolicyError(`policy ${path} is invalid:\n${lines.join('\n')}`);
  }
  const unregistered = unregisteredNames(parsed.data);
  if (unregistered.length > 0) throw new PolicyError(`policy ${path} is invalid:\n${unregistered.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return { ...parsed.data, version: `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}` };
}
