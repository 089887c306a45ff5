/** `riposte control`: the kill switch and the circuit breaker (GET /v1/control and its admin routes). */
import type { ControlState } from '../workflows/control.ts';
import type { CommandSpec } from './commands.ts';
import { clean } from './errors.ts';

export function formatControl(state: ControlState): string {
  const by = state.by ? ` by ${clean(state.by)}${state.at ? ` at ${clean(state.at)}` : ''}${state.reason ? `: ${clean(state.reason)}` : ''}` : '';
  const breaker = state.breaker ?? { tripped: false, recentBlocks: 0 };
  return [
    `containment  ${state.paused ? 'PAUSED' : 'running'}${by}`,
    `breaker      ${breaker.tripped ? 'TRIPPED: automatic blocks wait for approval until `riposte control breaker-reset`' : 'armed'}, ${breaker.recentBlocks} new block(s) in its window`,
  ].join('\n');
}

function switchCommand(name: 'pause' | 'resume', summary: string, description: string): CommandSpec {
  return {
    name: `control ${name}`,
    args: [],
    summary,
    description: `${description}\nNeeds an admin key; you are recorded as the one who did it.`,
    options: { reason: { type: 'string', value: 'TEXT', help: 'recorded with the change' } },
    api: true,
    async run({ api, values, print }) {
      const body = typeof values.reason === 'string' ? { reason: values.reason } : {};
      const state = await api().call<ControlState>('POST', `/v1/control/${name}`, { body });
      print(values.json ? JSON.stringify(state, null, 2) : formatControl(state));
    },
  };
}

export const controlCommands: CommandSpec[] = [
  {
    name: 'control',
    args: [],
    summary: 'show the kill switch and the circuit breaker',
    description: 'Shows whether containment is paused (by whom, when, why) and the mass-block circuit breaker.',
    options: {},
    api: true,
    async run({ api, values, print }) {
      const state = await api().call<ControlState>('GET', '/v1/control');
      print(values.json ? JSON.stringify(state, null, 2) : formatControl(state));
    },
  },
  switchCommand('pause', 'pause all containment (the kill switch)', 'No containment action starts anywhere until `riposte control resume`; incidents go on deciding and wait.'),
  switchCommand('resume', 'resume containment', 'Lifts the kill switch: held containment goes on.'),
  {
    name: 'control breaker-reset',
    args: [],
    summary: 're-arm the mass-block circuit breaker',
    description: 'After a trip, automatic blocks wait for approval until an admin has looked and re-arms the breaker.',
    options: {},
    api: true,
    async run({ api, values, print }) {
      const state = await api().call<ControlState>('POST', '/v1/control/breaker/reset', { body: {} });
      print(values.json ? JSON.stringify(state, null, 2) : `breaker re-armed${state.breaker ? `: ${state.breaker.recentBlocks} new block(s) in its window` : ''}`);
    },
  },
];
