import { allowlistMatch, type CanonicalCidr, canonicalIp } from './ip.ts';

/** One sign-in as the login history keeps it. */
export interface Login {
  address: string;
  /** Epoch milliseconds, from the alert's occurredAt. */
  at: number;
  alertId: string;
  geo?: { latitude: number; longitude: number; city?: string; country?: string };
}

export interface TravelSettings {
  maxSpeedKmh: number;
  minDistanceKm: number;
  /** Corporate egress and VPN ranges: a login from them says nothing about where the person is. */
  trustedRanges: readonly CanonicalCidr[];
}

export interface ImpossibleTravel {
  from: Login;
  to: Login;
  km: number;
  kmh: number;
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine): within 0.5 % of the ellipsoid, far below GeoIP's own error. */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The fastest impossible journey between the new login and any earlier one, or undefined. Pairs without GeoIP, from a
 * trusted range, or closer than the minimum distance (GeoIP places a city's addresses tens of km apart) are ignored.
 */
export function impossibleTravel(earlier: readonly Login[], next: Login, settings: TravelSettings): ImpossibleTravel | undefined {
  if (!next.geo || trusted(next, settings)) return undefined;
  let worst: ImpossibleTravel | undefined;
  for (const from of earlier) {
    if (!from.geo || trusted(from, settings)) continue;
    const km = distanceKm(from.geo, next.geo);
    if (km < settings.minDistanceKm) continue;
    const hours = Math.abs(next.at - from.at) / 3_600_000;
    const kmh = hours === 0 ? Number.POSITIVE_INFINITY : km / hours;
    if (kmh > settings.maxSpeedKmh && (!worst || kmh > worst.kmh)) worst = { from, to: next, km, kmh };
  }
  return worst;
}

function trusted(login: Login, settings: TravelSettings): boolean {
  return allowlistMatch(canonicalIp(login.address), settings.trustedRanges) !== undefined;
}

/** One line for people: where, when, how far, how fast. */
export function describeTravel({ from, to, km, kmh }: ImpossibleTravel): string {
  const place = (login: Login) => `${[login.geo?.city, login.geo?.country].filter(Boolean).join(', ') || 'unknown place'} (${login.address}) at ${new Date(login.at).toISOString()}`;
  const speed = Number.isFinite(kmh) ? `${Math.round(kmh).toLocaleString('en-US')} km/h` : 'at the same moment';
  return `sign-ins from ${place(from)} and ${place(to)}: ${Math.round(km).toLocaleString('en-US')} km apart, ${speed}`;
}
