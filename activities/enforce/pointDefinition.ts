import type { z } from 'zod';
import type { CanonicalCidr } from '../../domain/ip.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';
import type { PointServices } from './pointServices.ts';

/** What every point may use besides its own settings; tests give a point only the services it uses. */
export interface PointContext extends Partial<PointServices> {
  /** Files in the data directory that the feed and dry-run points keep. */
  paths: { edlFile: string; dryRunLog: string };
  /** The policy's allowlist, canonical: points that build their own rules check it again inside. */
  allowlist: readonly CanonicalCidr[];
}

/**
 * An enforcement point as the policy's `enforcement.points` names it: its environment settings (read as adapters'
 * are, `NAME_FILE` included) and a factory. One file per point, one line in activities/enforce/registry.ts.
 */
export interface EnforcementPointDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  /** One line for the start-up log and the docs. */
  readonly description: string;
  readonly settings: S;
  create(settings: z.output<S>, context: PointContext): EnforcementPoint;
}

/** Typed at the definition, stored without its settings type. */
export const enforcementPointDefinition = <S extends z.ZodObject>(definition: EnforcementPointDefinition<S>): EnforcementPointDefinition =>
  definition as unknown as EnforcementPointDefinition;
