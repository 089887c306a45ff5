import { api, can } from './api.js';
import { field, h, when } from './dom.js';
import { act } from './ui.js';

function adminButtons(state) {
  if (!can('admin')) return h('p', { class: 'muted' }, 'Only an admin key may pause, resume or reset.');
  const reason = h('input', { type: 'text', maxlength: 2000 });
  const body = () => (reason.value ? { reason: reason.value } : {});
  return h('form', { class: 'inline', 'aria-label': 'Kill switch', onsubmit: (e) => e.preventDefault() },
    field('Reason', reason),
    state.paused
      ? h('button', { type: 'button', class: 'primary', onclick: () => act('Resume all', () => api('POST', '/v1/control/resume', body())) }, 'Resume')
      : h('button', { type: 'button', class: 'danger', onclick: () => act('Pause all', () => api('POST', '/v1/control/pause', body())) }, 'Pause all'),
    h('button', { type: 'button', disabled: !state.breaker?.tripped, onclick: () => act('Reset the breaker', () => api('POST', '/v1/control/breaker/reset', {})) }, 'Reset breaker'));
}

export function controlPage() {
  return {
    wants: (kind) => kind === 'control',
    async render() {
      const state = await api('GET', '/v1/control');
      const breaker = state.breaker;
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, 'Kill switch and circuit breaker'),
        h('dl', {},
          h('dt', {}, 'Containment'), h('dd', { class: state.paused ? 'error' : 'ok' }, state.paused ? `Paused by ${state.by ?? '—'} ${when(state.at)}${state.reason ? `: ${state.reason}` : ''}` : 'Running'),
          h('dt', {}, 'Circuit breaker'), h('dd', { class: breaker?.tripped ? 'error' : 'ok' }, breaker?.tripped ? `Tripped ${when(breaker.at)}` : 'Closed'),
          breaker?.recentBlocks !== undefined && [h('dt', {}, 'Recent blocks'), h('dd', {}, breaker.recentBlocks)]),
        adminButtons(state));
    },
  };
}
