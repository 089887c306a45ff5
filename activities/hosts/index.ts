import type { AdapterDefinition } from '../adapters.ts';
import { crowdstrikeContainment } from './crowdstrikeContainment.ts';
import { defenderContainment } from './defenderContainment.ts';
import type { AssetTracker, HostContainment } from './hostContainment.ts';
import { httpAssetTracker } from './httpAssetTracker.ts';

export const hostContainments: readonly AdapterDefinition<HostContainment>[] = [
  crowdstrikeContainment,
  defenderContainment,
];

export const assetTrackers: readonly AdapterDefinition<AssetTracker>[] = [
  httpAssetTracker,
];
