import { api, ApiError, can } from './api.js';
import { countdown, field, h, table, when } from './dom.js';
import { act } from './ui.js';

function addForm() {
  const kind = h('select', {}, ['address', 'user', 'host', 'domain'].map((k) => h('option', { value: k }, k)));
  const value = h('input', { type: 'text', required: true, placeholder: '198.51.100.9 or 198.51.100.0/24' });
  const reason = h('input', { type: 'text', required: true, maxlength: 500 });
  const duration = h('input', { type: 'text', required: true, value: '7d', pattern: '[0-9]+[smhd]', size: 5 });
  return h('form', { class: 'inline', 'aria-label': 'Add an exception', onsubmit: (e) => {
    e.preventDefault();
    void act(`Allow ${value.value}`, () => api('POST', '/v1/exceptions', { kind: kind.value, value: value.value, reason: reason.value, for: duration.value }));
  } }, field('Kind', kind), field('Value', value), field('Reason', reason), field('For', duration), h('button', { type: 'submit', class: 'primary' }, 'Add exception'));
}

export function exceptionsPage() {
  return {
    wants: () => false,
    async render() {
      const title = h('h1', { id: 'page-title' }, 'Exceptions');
      const answer = await api('GET', '/v1/exceptions').catch((err) => {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      });
      if (!answer) return h('section', {}, title, h('p', { class: 'muted' }, 'This API has no exceptions route.'));
      const responder = can('responder');
      return h('section', { 'aria-labelledby': 'page-title' }, title,
        h('p', {}, 'Allowlist and protect entries that expire by themselves; adding one lifts any live block it covers.'),
        responder ? addForm() : null,
        table('Live exceptions, soonest to expire first', ['Kind', 'Value', 'Reason', 'By', 'Added', 'Expires in', 'Actions'],
          answer.exceptions.map((x) => [x.kind, x.value, x.reason, x.by, when(x.createdAt), countdown(x.expiresAt),
            responder ? h('button', { type: 'button', class: 'danger', onclick: () => act(`Remove ${x.value}`, () => api('DELETE', `/v1/exceptions/${encodeURIComponent(x.id)}`)) }, `Remove ${x.value}`) : '—'])));
    },
  };
}
