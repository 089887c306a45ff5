import { api } from './api.js';
import { field, h, table } from './dom.js';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** A chart with its figures in a table beside it: the canvas is a picture, the table is what a screen reader reads. */
function chart(title, config) {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const Chart = window.Chart;
  Chart.defaults.color = css('--fg');
  Chart.defaults.borderColor = css('--line');
  requestAnimationFrame(() => new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: title } }, ...config.options } }));
  return h('div', { class: 'chart' }, canvas);
}

function enforcementsChart(rows) {
  const labels = rows.map((r) => `${r.playbook} ${r.week}`);
  return chart('Enforcements and false positives per playbook per week', {
    type: 'bar',
    data: { labels, datasets: [
      { label: 'Enforcements', data: rows.map((r) => r.enforcements), backgroundColor: PALETTE[0] },
      { label: 'False positives', data: rows.map((r) => r.falsePositives), backgroundColor: PALETTE[1] },
    ] },
  });
}

function containChart(rows) {
  return chart('Time to contain per day (seconds)', {
    type: 'line',
    data: { labels: rows.map((r) => r.day), datasets: [
      { label: 'p50', data: rows.map((r) => r.p50Seconds), borderColor: PALETTE[2], backgroundColor: PALETTE[2] },
      { label: 'p95', data: rows.map((r) => r.p95Seconds), borderColor: PALETTE[3], backgroundColor: PALETTE[3] },
    ] },
  });
}

const percent = (value) => (value === null ? '—' : `${Math.round(value * 1000) / 10} %`);

function promotionTable(rows) {
  return table('Promotion report: what each observe or approve playbook would have done, and how often it was right',
    ['Playbook', 'Mode', 'Next mode', 'Would have acted', 'Confirmed', 'Refuted', 'Precision', 'Threshold', 'Recommendation', 'Why'],
    rows.map((r) => [r.playbook, r.mode, r.nextMode, r.wouldHaveActed, r.confirmed, r.refuted, percent(r.precision), `${percent(r.threshold)} over ${r.minVerdicts} verdicts`, h('strong', {}, r.recommendation), r.why]));
}

function rangeForm(since, until) {
  const from = h('input', { type: 'date', value: since.slice(0, 10) });
  const to = h('input', { type: 'date', value: new Date(Date.parse(until) - 1).toISOString().slice(0, 10) });
  return h('form', { class: 'inline', 'aria-label': 'Report period', onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/reports?since=${from.value}&until=${to.value}`;
  } }, field('From', from), field('To', to), h('button', { type: 'submit' }, 'Show'));
}

export function reportsPage() {
  const chosen = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const params = new URLSearchParams();
  // A day chosen as `until` is included: the period ends at the next midnight.
  if (chosen.get('since')) params.set('since', new Date(chosen.get('since')).toISOString());
  if (chosen.get('until')) params.set('until', new Date(Date.parse(chosen.get('until')) + 86_400_000).toISOString());
  return {
    wants: () => false,
    async render() {
      const report = await api('GET', `/v1/reports/summary?${params}`);
      return h('section', { 'aria-labelledby': 'page-title' },
        h('h1', { id: 'page-title' }, 'Reports'),
        rangeForm(report.since, report.until),
        h('h2', {}, 'Promotion'), promotionTable(report.promotion),
        h('h2', {}, 'False positives against enforcements'), enforcementsChart(report.enforcementsVsFalsePositives),
        table('Per playbook per week', ['Playbook', 'Week', 'Enforcements', 'False positives'], report.enforcementsVsFalsePositives.map((r) => [r.playbook, r.week, r.enforcements, r.falsePositives])),
        h('h2', {}, 'Time to contain'), containChart(report.timeToContain),
        table('Per day', ['Day', 'Incidents', 'p50 (s)', 'p95 (s)'], report.timeToContain.map((r) => [r.day, r.count, r.p50Seconds, r.p95Seconds])),
        h('h2', {}, 'Top rules and entities'),
        table('Top rules', ['Rule', 'Alerts'], report.topRules.map((r) => [r.rule, r.alerts])),
        table('Top entities', ['Entity', 'Incidents'], report.topEntities.map((r) => [r.entity, r.incidents])));
    },
  };
}
