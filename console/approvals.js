import { act } from './ui.js';
import { api, can } from './api.js';
import { field, h, incidentLink, table, when } from './dom.js';

export const approvalCount = (state) => `${(state.approvals ?? []).length} of ${state.approvalsNeeded ?? 1} approvals`;

export function enrichment(state) {
  const geo = [state.geo?.city, state.geo?.country].filter(Boolean).join(', ') || 'unknown';
  const reputation = state.reputation ? Object.entries(state.reputation).map(([name, value]) => `${name}: ${typeof value === 'object' ? JSON.stringify(value) : value}`).join('; ') : 'none';
  return h('dl', {},
    h('dt', {}, 'Location (GeoIP)'), h('dd', {}, geo),
    h('dt', {}, 'Reputation'), h('dd', {}, reputation),
    h('dt', {}, 'Earlier incidents'), h('dd', {}, state.previousIncidents ?? 0));
}

export function alertsTable(state) {
  return table(`Alerts (${state.alertCount} in ${state.alertBatches} ${state.alertBatches === 1 ? 'batch' : 'batches'}; first and latest shown)`, ['When', 'Source', 'Type', 'Severity', 'Count'],
    state.sampleAlerts.map((a) => [when(a.occurredAt ?? a.receivedAt), a.source, a.type, a.severity, a.count]));
}

function decision(state) {
  const id = state.id;
  const comment = h('input', { type: 'text', maxlength: 2000 });
  const responder = can('responder');
  return h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() },
    field('Comment or reason', comment),
    responder && h('button', { type: 'button', class: 'primary', onclick: () => act(`Approve ${id}`, () => api('POST', `/v1/incidents/${encodeURIComponent(id)}/approve`, comment.value ? { comment: comment.value } : {})) }, 'Approve'),
    responder && h('button', { type: 'button', class: 'danger', onclick: () => act(`Reject ${id}`, () => api('POST', `/v1/incidents/${encodeURIComponent(id)}/reject`, comment.value ? { reason: comment.value } : {})) }, 'Reject'),
    !responder && h('p', { class: 'muted' }, 'Your role can view, not approve.'));
}

function card(state) {
  return h('article', { class: 'card', 'aria-labelledby': `t-${state.id}` },
    h('h2', { id: `t-${state.id}` }, incidentLink(state.id)),
    h('p', {}, `${state.playbook} · ${state.entity} · severity ${state.maxSeverity} · opened ${when(state.openedAt)} · `, h('strong', {}, approvalCount(state))),
    state.approvalReasons?.length ? h('p', {}, `Needs approval because: ${state.approvalReasons.join('; ')}`) : null,
    h('h3', {}, 'Plan'), h('ul', {}, state.plan.map((step) => h('li', {}, step))),
    h('h3', {}, 'Enrichment'), enrichment(state),
    alertsTable(state),
    decision(state));
}

export function approvalsPage() {
  return {
    wants: (kind) => kind === 'incident',
    async render() {
      const { incidents } = await api('GET', '/v1/incidents?status=awaiting_approval&limit=100');
      const states = await Promise.all(incidents.map((i) => api('GET', `/v1/incidents/${encodeURIComponent(i.id)}`).catch(() => undefined)));
      const pending = states.filter((s) => s?.status === 'awaiting_approval');
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, `Pending approvals (${pending.length})`),
        pending.length === 0 ? h('p', { class: 'muted' }, 'Nothing waits for a person.') : pending.map(card));
    },
  };
}
