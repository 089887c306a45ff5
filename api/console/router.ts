import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { projectDir } from '../../runtime/projectDir.ts';
import type { ApiKeySpec } from '../auth.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';
import { consoleHeaders } from './headers.ts';
import { CSRF_HEADER, SESSION_COOKIE, type Session, type Sessions } from './sessions.ts';

export const CONSOLE_DIR = join(projectDir, 'console');
/** Chart.js as the package ships it, served by Riposte: firewalled SOC networks reach no CDN. */
export const CHART_JS_FILE = join(projectDir, 'node_modules/chart.js/dist/chart.umd.min.js');

export const loginBody = z.object({ key: z.string().min(1, 'the API key').max(4096) }).strict();

export interface ConsoleDeps {
  sessions: Sessions;
  signIn: (req: Request, key: string) => ApiKeySpec;
  sessionOf: (req: Request) => { session: Session; entry: { spec: ApiKeySpec } } | undefined;
  /** The Temporal UI's base address and the namespace, for each incident's deep link. */
  temporalUiBase?: string;
  temporalNamespace: string;
}

function setSessionCookie(req: Request, res: Response, token: string, maxAgeMs: number): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: maxAgeMs });
}

const wantsJson = (req: Request) => req.is('application/json') === 'application/json';

/**
 * `/console`: the static pages, and the session they run in (login, logout, who is signed in). Served before the
 * guard, which reads the cookie this issues on every other route; the failure limit before both counts a failed
 * login as it counts any 401.
 */
export function consoleRouter({ sessions, signIn, sessionOf, temporalUiBase, temporalNamespace }: ConsoleDeps): Router {
  const router = Router();
  router.use('/console', consoleHeaders);

  router.post('/console/login', express.json({ limit: '8kb' }), express.urlencoded({ extended: false, limit: '8kb' }), (req, res) => {
    const parsed = loginBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
    const spec = signIn(req, parsed.data.key);
    const { token, session } = sessions.issue(spec.name, spec.sha256);
    setSessionCookie(req, res, token, sessions.ttlMs);
    if (!wantsJson(req)) return void res.redirect(303, '/console/');
    res.json({ name: spec.name, role: spec.role, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
  });

  router.post('/console/logout', (req, res) => {
    const signedIn = sessionOf(req);
    if (signedIn && !sessions.csrfMatches(signedIn.session, req.get(CSRF_HEADER))) throw new HttpError(403, 'csrf', `send the session's ${CSRF_HEADER} header to log out`);
    if (signedIn) sessions.revoke(signedIn.session);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });

  // Not signed in is an answer, not a failed authentication: opening the login page must not count towards the limit.
  router.get('/console/session', (req, res) => {
    const signedIn = sessionOf(req);
    if (!signedIn) return void res.json({ signedIn: false });
    const { session, entry } = signedIn;
    res.json({
      signedIn: true,
      name: entry.spec.name,
      role: entry.spec.role,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
      links: { temporalUiBase: temporalUiBase ?? null, temporalNamespace },
    });
  });

  router.get('/console/chart.umd.min.js', (_req, res) => res.sendFile(CHART_JS_FILE));
  router.use('/console', express.static(CONSOLE_DIR, { index: 'index.html', dotfiles: 'deny' }));
  // Nothing else under /console exists; answered here so a mistyped page is no failed authentication.
  router.use('/console', (req, _res, next) => next(new HttpError(404, 'not_found', `no console page ${req.path}`)));
  return router;
}
