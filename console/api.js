/** The session the page runs in, and the API it calls with it: the cookie goes by itself, the CSRF token by header. */
const GRANTS = { ingest: ['ingest'], viewer: ['viewer'], responder: ['viewer', 'responder'], admin: ['ingest', 'viewer', 'responder', 'admin'] };

export const session = { current: undefined };

export async function loadSession() {
  const res = await fetch('/console/session', { credentials: 'same-origin' });
  const answer = res.ok ? await res.json() : undefined;
  session.current = answer?.signedIn ? answer : undefined;
  return session.current;
}

/** Whether the signed-in key's role grants `role`; the server refuses anyway. */
export const can = (role) => Boolean(session.current && GRANTS[session.current.role]?.includes(role));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session.current) headers['X-CSRF-Token'] = session.current.csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, answer);
  return answer;
}

export async function login(key) {
  const res = await fetch('/console/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify({ key }) });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => undefined));
  return loadSession();
}

export async function logout() {
  await api('POST', '/console/logout');
  session.current = undefined;
}
