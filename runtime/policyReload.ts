import type { PolicySnapshot } from '../domain/policy.ts';
import type { Logger } from './logger.ts';
import { loadPolicy } from './policyFile.ts';

/**
 * The policy new incidents get, re-read on SIGHUP. An invalid file is refused with its reason and the running policy
 * stays: a typo during an attack must not leave Riposte without a policy. Incidents already open keep the snapshot
 * they started with.
 */
export function policyReloadedOnHangup(path: string, initial: PolicySnapshot, logger: Logger): () => PolicySnapshot {
  let current = initial;
  let reloading = false;
  process.on('SIGHUP', () => {
    if (reloading) return;
    reloading = true;
    loadPolicy(path).then((next) => {
      if (next.version === current.version) {
        logger.info('policy unchanged', { file: path, version: current.version });
      } else {
        logger.info('policy reloaded: new incidents get it', { file: path, from: current.version, version: next.version });
        current = next;
      }
    }, (err: Error) => {
      logger.error('policy reload refused: keeping the running policy', { file: path, version: current.version, reason: err.message });
    }).finally(() => {
      reloading = false;
    });
  });
  return () => current;
}
