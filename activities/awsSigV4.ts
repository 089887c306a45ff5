import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (an assumed role) carry one; it is signed with the request. */
  sessionToken?: string;
}

export interface AwsSigningScope {
  region: string;
  service: string;
}

export interface RequestToSign {
  method: string;
  url: URL;
  /** The headers that will be sent, `host` aside (it is taken from the URL, as fetch sends it). */
  headers: Readonly<Record<string, string>>;
  /** The exact bytes of the body; the empty string when there is none. */
  body: string;
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 asks for it: everything but unreserved characters, `!'()*` included. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** `20150830T123600Z`: the basic ISO 8601 form AWS signs. */
function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * AWS Signature Version 4 for one request: the headers to add to it (`x-amz-date`, `x-amz-security-token` with
 * temporary credentials, `authorization`). Every header given is signed, so the request must be sent with exactly
 * these headers and this body. The path is signed as the URL encodes it, which is right for the JSON APIs Riposte
 * calls (their path is `/`).
 */
export function signAwsRequest(request: RequestToSign, scope: AwsSigningScope, credentials: AwsCredentials, at = new Date()): Record<string, string> {
  const date = amzDate(at);
  const added: Record<string, string> = { 'x-amz-date': date, ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}) };
  const headers = new Map<string, string>([['host', request.url.host]]);
  for (const [name, value] of Object.entries({ ...request.headers, ...added })) headers.set(name.toLowerCase(), value.trim().replace(/\s+/g, ' '));
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    request.url.pathname || '/',
    canonicalQuery(request.url),
    ...names.map((name) => `${name}:${headers.get(name)}`),
    '',
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const credentialScope = `${date.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = [date.slice(0, 8), scope.region, scope.service, 'aws4_request'].reduce<Buffer | string>((key, part) => hmac(key, part), `AWS4${credentials.secretAccessKey}`);
  const signature = hmac(signingKey, stringToSign).toString('hex');
  return { ...added, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}` };
}
