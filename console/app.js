import { ApiError, loadSession, login, logout, session } from './api.js';
import { remaining } from './dom.js';
import { onRedraw } from './ui.js';
import { approvalsPage } from './approvals.js';
import { incidentsPage } from './incidents.js';
import { incidentPage } from './incident.js';
import { blocksPage } from './blocks.js';
import { controlPage } from './control.js';
import { exceptionsPage } from './exceptions.js';
import { reportsPage } from './reports.js';

const $ = (id) => document.getElementById(id);

/** Hash routes: `#/incidents/<id>` is the page notifications link to. */
const ROUTES = [
  [/^#\/incidents\/(.+)$/, (m) => incidentPage(decodeURIComponent(m[1]))],
  [/^#\/incidents$/, () => incidentsPage()],
  [/^#\/blocks$/, () => blocksPage()],
  [/^#\/control$/, () => controlPage()],
  [/^#\/exceptions$/, () => exceptionsPage()],
  [/^#\/reports$/, () => reportsPage()],
  [/^/, () => approvalsPage()],
];

let current;

/** Draws the page of the hash; `live` redraws it in place without moving focus. */
async function show({ live = false } = {}) {
  const hash = location.hash || '#/approvals';
  for (const a of document.querySelectorAll('nav a')) a.toggleAttribute('aria-current', hash.startsWith(a.getAttribute('href')));
  for (const a of document.querySelectorAll('nav a[aria-current]')) a.setAttribute('aria-current', 'page');
  const [pattern, page] = ROUTES.find(([p]) => p.test(hash));
  current = page(hash.match(pattern));
  try {
    const content = await current.render({ live });
    $('page').replaceChildren(content);
    if (!live) $('main').focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    $('page').replaceChildren(Object.assign(document.createElement('p'), { className: 'error', role: 'alert', textContent: `Could not load this page: ${err.message}` }));
  }
}

function signedOut() {
  events?.close();
  $('nav').hidden = true;
  $('who').hidden = true;
  $('page').replaceChildren();
  $('login').hidden = false;
  $('key').focus();
}

let events;
/** The last state each incident was seen in: a repeated event redraws nothing. */
const seen = new Map();
function isNews(kind, data) {
  if (kind !== 'incident') return true;
  const state = `${data.status}@${data.updatedAt}`;
  if (seen.get(data.id) === state) return false;
  seen.set(data.id, state);
  return true;
}

/** A person typing in a form keeps it: a live redraw waits until focus leaves the page's forms, and bursts redraw once. */
let drawing = false;
let stale = false;
const editing = () => Boolean(document.activeElement?.closest('#page form'));
async function redrawLive() {
  if (drawing || editing()) {
    stale = true;
    return;
  }
  drawing = true;
  stale = false;
  await show({ live: true });
  drawing = false;
  if (stale) void redrawLive();
}
document.addEventListener('focusout', () => setTimeout(() => {
  if (stale && !editing()) void redrawLive();
}));

/** One stream per page: a new pending approval, an action, a kill-switch change redraws what shows it. */
function listen() {
  events = new EventSource('/v1/events');
  // The stream opens once the server knows the present; what changed between the page's first read and then (or
  // while a dropped stream reconnected) was never sent as an event, so the page reads it again.
  events.addEventListener('open', () => void redrawLive());
  for (const kind of ['incident', 'action', 'control']) {
    events.addEventListener(kind, (event) => {
      const data = JSON.parse(event.data);
      if (!isNews(kind, data)) return;
      if (kind === 'incident' && data.status === 'awaiting_approval') $('live').textContent = `New pending approval: ${data.id}`;
      if (current?.wants?.(kind, data)) void redrawLive();
    });
  }
}

async function signedIn() {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('principal').textContent = `${session.current.name} (${session.current.role})`;
  listen();
  await show();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    await login($('key').value);
    $('key').value = '';
    await signedIn();
  } catch (err) {
    $('login-error').textContent = err.status === 401 ? 'That API key is not valid.' : err.message;
  }
});

$('logout').addEventListener('click', async () => {
  await logout();
  signedOut();
});

window.addEventListener('hashchange', () => void show());
setInterval(() => {
  for (const el of document.querySelectorAll('[data-countdown]')) el.textContent = remaining(el.dataset.countdown);
}, 1000);

onRedraw(() => show({ live: true }));

if (await loadSession()) await signedIn();
else signedOut();
