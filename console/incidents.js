import { api } from './api.js';
import { field, h, incidentLink, table, when } from './dom.js';

const STATUSES = ['', 'triage', 'watching', 'awaiting_approval', 'paused', 'containing', 'contained', 'observed', 'rejected', 'expired', 'allowlisted', 'failed', 'below_threshold', 'reverted', 'closed', 'protected', 'responded', 'lifted', 'ended'];
const FILTERS = ['status', 'playbook', 'entity', 'source', 'since', 'until'];

/** The filters live in the hash's query, so a filtered list can be linked to. */
const filtersOf = () => new URLSearchParams(location.hash.split('?')[1] ?? '');

function filterForm(filters) {
  const controls = {
    status: h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: filters.get('status') === s }, s || 'any'))),
    playbook: h('input', { name: 'playbook', value: filters.get('playbook') ?? '', placeholder: 'brute-force' }),
    entity: h('input', { name: 'entity', value: filters.get('entity') ?? '', placeholder: '203.0.113.7' }),
    source: h('input', { name: 'source', value: filters.get('source') ?? '', placeholder: 'elastic' }),
    since: h('input', { name: 'since', type: 'datetime-local', value: filters.get('since') ?? '' }),
    until: h('input', { name: 'until', type: 'datetime-local', value: filters.get('until') ?? '' }),
  };
  const labels = { status: 'Status', playbook: 'Playbook', entity: 'Entity', source: 'Source', since: 'Opened after', until: 'Opened before' };
  return h('form', {
    class: 'inline', role: 'search', 'aria-label': 'Filter incidents',
    onsubmit: (e) => {
      e.preventDefault();
      const query = new URLSearchParams(FILTERS.filter((name) => controls[name].value).map((name) => [name, controls[name].value]));
      location.hash = `#/incidents${query.size ? `?${query}` : ''}`;
    },
  }, FILTERS.map((name) => field(labels[name], controls[name])), h('button', { type: 'submit' }, 'Filter'));
}

function query(filters) {
  const params = new URLSearchParams({ limit: '100' });
  for (const name of FILTERS) {
    const value = filters.get(name);
    if (value) params.set(name, name === 'since' || name === 'until' ? new Date(value).toISOString() : value);
  }
  return params;
}

export function incidentsPage() {
  const filters = filtersOf();
  return {
    wants: (kind) => kind === 'incident',
    async render() {
      const { incidents } = await api('GET', `/v1/incidents?${query(filters)}`);
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, 'Incidents'),
        filterForm(filters),
        table(`${incidents.length} incidents, newest first`, ['Incident', 'Status', 'Playbook', 'Entity', 'Severity', 'Opened', 'Closed'],
          incidents.map((i) => [incidentLink(i.id), i.status ?? '—', i.playbook ?? '—', i.entity ?? '—', i.severity ?? '—', when(i.startedAt), i.open ? 'open' : when(i.closedAt)])));
    },
  };
}
