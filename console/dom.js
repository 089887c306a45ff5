/** Elements from data: text is always set as text, never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

export function table(caption, headers, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'None.')) : rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** A time left, which the ticker in app.js keeps counting down. */
export function countdown(iso) {
  const el = h('time', { datetime: iso ?? '', 'data-countdown': iso ?? '' });
  el.textContent = remaining(iso);
  return el;
}

export function remaining(iso) {
  if (!iso) return 'coming down';
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  const [d, hr, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return d > 0 ? `${d}d ${hr}h ${m}m` : `${hr}h ${m}m ${s % 60}s`;
}

/** A labelled control: every input in the console has a visible label. */
export function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return [h('label', { for: id }, label), control];
}

export function incidentLink(id) {
  return h('a', { href: `#/incidents/${encodeURIComponent(id)}` }, id);
}
