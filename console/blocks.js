import { api, can } from './api.js';
import { countdown, field, h, incidentLink, table, when } from './dom.js';
import { act } from './ui.js';

const EXTENSIONS = ['1h', '24h', '7d', '30d'];
const HELD = [
  ['disable_user', 'Disabled accounts'],
  ['isolate_host', 'Isolated hosts'],
  ['blocklist_domain', 'Blocklisted domains'],
];
const HELD_ACTION = /^(disable_user|isolate_host|blocklist_domain)\./;
/** How long a read of them serves redraws that no event about them asked for. */
const HELD_MAX_AGE_MS = 30_000;

// They are read from the whole audit trail, and every block event of a storm redraws this page: a live redraw reads
// them again only after an event about an account, host or domain, or once the last read is old. Opening the page
// always reads them: events that came while another page showed were not seen here.
let held;
function heldContainments() {
  if (!held || Date.now() - held.at > HELD_MAX_AGE_MS) {
    held = { at: Date.now(), read: api('GET', '/v1/containments').catch((err) => {
      held = undefined;
      return { containments: [], unreadable: err.message };
    }) };
  }
  return held.read;
}

function buttons(block) {
  if (!can('responder')) return '—';
  const address = block.address;
  const duration = h('select', {}, EXTENSIONS.map((d) => h('option', { value: d }, d)));
  return h('form', { class: 'inline', 'aria-label': `Change the block of ${address}`, onsubmit: (e) => e.preventDefault() },
    h('button', { type: 'button', class: 'danger', onclick: () => act(`Unblock ${address}`, () => api('DELETE', `/v1/blocks/${encodeURIComponent(address)}`, { reason: 'lifted from the console' })) }, `Unblock ${address}`),
    field('Hold for (from now)', duration),
    // A manual lease from now: the block holds until its longest lease ends.
    h('button', { type: 'button', onclick: () => act(`Extend ${address}`, () => api('POST', '/v1/blocks', { ip: address, duration: duration.value, reason: 'extended from the console' })) }, 'Extend'));
}

export function blocksPage() {
  return {
    wants: (kind, data) => {
      if (kind !== 'action') return false;
      if (HELD_ACTION.test(data.action)) held = undefined;
      return /^block\./.test(data.action) || HELD_ACTION.test(data.action);
    },
    async render({ live } = {}) {
      if (!live) held = undefined;
      // The blocks come from the shards, the rest from the audit trail: one unreadable source leaves the other shown.
      const [{ blocks }, { containments, unreadable }] = await Promise.all([api('GET', '/v1/blocks?limit=1000'), heldContainments()]);
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, `Active blocks (${blocks.length})`),
        table('Blocked addresses and ranges', ['Address', 'State', 'Expires in', 'Since', 'Reason', 'Requested by', 'Enforcement points', 'Actions'],
          blocks.map((b) => [b.address, b.state, countdown(b.expiresAt), when(b.since), b.reason, b.requestedBy,
            Object.entries(b.points).map(([point, hold]) => `${point}: ${hold.state}`).join(', '), buttons(b)])),
        unreadable && h('p', { class: 'error', role: 'alert' }, `Accounts, hosts and domains could not be read: ${unreadable}`),
        HELD.map(([kind, caption]) => {
          const rows = containments.filter((c) => c.kind === kind);
          return table(`${caption} (${rows.length})`, ['Target', 'Since', 'Authorised by', 'Incident'], rows.map((c) => [c.target, when(c.at), c.by, c.incidentId ? incidentLink(c.incidentId) : '—']));
        }),
        // They hold until a person says otherwise: no timer lifts an account or a host.
        h('p', { class: 'muted' }, 'Accounts, hosts and domains stay contained until a false-positive verdict on their incident undoes them.'));
    },
  };
}
