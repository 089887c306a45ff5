import type { Verdict } from '../incident.ts';

export interface PromotionPolicy {
  minPrecision: number;
  minVerdicts: number;
}

export type PromotableMode = 'observe' | 'approve';
const NEXT_MODE = { observe: 'approve', approve: 'auto' } as const;

export interface PromotionRow {
  playbook: string;
  mode: PromotableMode;
  nextMode: (typeof NEXT_MODE)[PromotableMode];
  /** Incidents whose plan this mode only logged (observe) or proposed (approve). */
  wouldHaveActed: number;
  /** Those a person later called a true positive. */
  confirmed: number;
  /** Those a person later called a false positive. */
  refuted: number;
  precision: number | null;
  threshold: number;
  minVerdicts: number;
  recommendation: 'promote' | 'keep' | 'not_enough_verdicts';
  why: string;
}

const ratio = (value: number) => value.toFixed(2);

/** Whether the verdicts on what a playbook would have done warrant trusting it with the next mode. */
export function promotionRow(playbook: string, mode: PromotableMode, verdicts: readonly (Verdict | undefined)[], policy: PromotionPolicy): PromotionRow {
  const nextMode = NEXT_MODE[mode];
  const confirmed = verdicts.filter((v) => v === 'true_positive').length;
  const refuted = verdicts.filter((v) => v === 'false_positive').length;
  const given = confirmed + refuted;
  const precision = given === 0 ? null : confirmed / given;
  const base = { playbook, mode, nextMode, wouldHaveActed: verdicts.length, confirmed, refuted, precision, threshold: policy.minPrecision, minVerdicts: policy.minVerdicts };
  const measured = `${confirmed} of ${given} verdicts confirmed it`;
  if (given < policy.minVerdicts) {
    return { ...base, recommendation: 'not_enough_verdicts', why: `${given} verdict(s) on ${verdicts.length} incident(s) it would have acted on; ${policy.minVerdicts} are needed before ${mode} can become ${nextMode}` };
  }
  if (precision! >= policy.minPrecision) {
    return { ...base, recommendation: 'promote', why: `${measured} (precision ${ratio(precision!)}, threshold ${ratio(policy.minPrecision)}): move ${playbook} from ${mode} to ${nextMode}` };
  }
  return { ...base, recommendation: 'keep', why: `${measured}: precision ${ratio(precision!)} is below the threshold ${ratio(policy.minPrecision)}, so ${playbook} stays in ${mode}` };
}
