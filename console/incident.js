import { api, can, session } from './api.js';
import { countdown, field, h, table, when } from './dom.js';
import { alertsTable, approvalCount, enrichment } from './approvals.js';
import { act } from './ui.js';

const path = (id, action) => `/v1/incidents/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

function temporalLink(id) {
  const { temporalUiBase, temporalNamespace } = session.current.links;
  if (!temporalUiBase) return h('p', { class: 'muted' }, 'Set TEMPORAL_UI_URL for a link to the Temporal UI.');
  return h('p', {}, h('a', { href: `${temporalUiBase}/namespaces/${encodeURIComponent(temporalNamespace)}/workflows/${encodeURIComponent(id)}`, rel: 'noreferrer' }, 'Open the workflow in the Temporal UI'));
}

/** Per enforcement point, what a block action's result says, with its expiry. */
function points(action) {
  const held = action.result?.points ?? action.result?.lease?.points;
  if (!held || typeof held !== 'object') return action.result?.expiresAt ? ['expires ', countdown(action.result.expiresAt)] : '—';
  return h('ul', {}, Object.entries(held).map(([point, hold]) => h('li', {}, `${point}: ${hold.state ?? hold.outcome ?? JSON.stringify(hold)}`, hold.expiresAt ? [' until ', when(hold.expiresAt)] : null)));
}

function controls(state) {
  if (!can('responder')) return null;
  const id = state.id;
  const verdict = h('select', {}, h('option', { value: 'true_positive' }, 'True positive'), h('option', { value: 'false_positive' }, 'False positive'));
  const comment = h('input', { type: 'text', maxlength: 2000 });
  return h('div', {},
    h('p', {},
      state.paused
        ? h('button', { type: 'button', onclick: () => act(`Resume ${id}`, () => api('POST', path(id, 'resume'), {})) }, 'Resume')
        : h('button', { type: 'button', onclick: () => act(`Pause ${id}`, () => api('POST', path(id, 'pause'), {})) }, 'Pause')),
    state.verdict
      ? h('p', {}, `Verdict: ${state.verdict.verdict} by ${state.verdict.by} (${when(state.verdict.at)})`)
      : h('form', { class: 'inline', 'aria-label': 'Record a verdict', onsubmit: (e) => {
        e.preventDefault();
        void act(`Verdict on ${id}`, () => api('POST', path(id, 'verdict'), { verdict: verdict.value, ...(comment.value ? { comment: comment.value } : {}) }));
      } }, field('Verdict', verdict), field('Comment', comment), h('button', { type: 'submit' }, 'Record verdict')));
}

export function incidentPage(id) {
  return {
    wants: (kind, data) => (kind === 'incident' && data.id === id) || (kind === 'action' && data.incidentId === id),
    async render() {
      const state = await api('GET', path(id));
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, state.id),
        h('p', {}, `Status ${state.status}${state.paused ? ' (paused)' : ''} · ${state.playbook} in ${state.mode} mode · ${approvalCount(state)} · opened ${when(state.openedAt)}`),
        temporalLink(state.id),
        controls(state),
        h('h2', {}, 'Plan'), h('ul', {}, state.plan.map((step) => h('li', {}, step))),
        h('h2', {}, 'Enrichment'), enrichment(state),
        table('Actions', ['Action', 'Target', 'Outcome', 'When', 'Enforcement points and expiry'],
          state.actions.map((a) => [`${a.kind}: ${a.detail}`, a.target, a.error ? `${a.outcome} (${a.error})` : a.outcome, when(a.at), points(a)])),
        alertsTable(state),
        table('Timeline', ['When', 'Event', 'By', 'Detail'], (state.timeline ?? []).map((t) => [when(t.at), t.event, t.by ?? '—', t.detail ?? ''])));
    },
  };
}
