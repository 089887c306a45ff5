import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { enforcementPointDefinitions, enforcementPointNamed } from '../activities/enforce/registry.ts';
import { alertSourceNamed, alertSources } from '../api/sources/index.ts';
import { type PolicySnapshot, policySchema } from '../domain/policy.ts';
import { playbooks } from '../playbooks/index.ts';

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
  const known = playbooks.map((p) => p.name);
  const unknown = Object.keys(parsed.data.playbooks).filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new PolicyError(`policy ${path} is invalid:\n  playbooks.${unknown[0]}: unknown playbook; known: ${known.join(', ')}`);
  const unknownPoint = parsed.data.enforcement.points.findIndex((name) => !enforcementPointNamed(name));
  if (unknownPoint >= 0) throw new PolicyError(`policy ${path} is invalid:\n  enforcement.points.${unknownPoint}: unknown enforcement point ${parsed.data.enforcement.points[unknownPoint]}; known: ${enforcementPointDefinitions.map((d) => d.name).join(', ')}`);
  const unknownSource = Object.keys(parsed.data.sources).find((name) => !alertSourceNamed(name));
  if (unknownSource !== undefined) throw new PolicyError(`policy ${path} is invalid:\n  sources.${unknownSource}: unknown alert source; known: ${alertSources.map((s) => s.name).join(', ')}`);
  return { ...parsed.data, version: `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}` };
}
