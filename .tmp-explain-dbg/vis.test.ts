import { test } from 'node:test';
import { Client, Connection } from '/work/main/node_modules/@temporalio/client/lib/index.js';
import { suiteServer } from '/work/main/test/support/temporal.ts';
import { entityAttribute } from '/work/main/workflows/searchAttributes.ts';

test('escaping', async () => {
  const connection = await Connection.connect({ address: suiteServer().address });
  const client = new Client({ connection });
  const id = `dbg:corp\\x${Date.now()}`;
  await client.workflow.start('incidentWorkflow', { taskQueue: 'nowhere', workflowId: id, args: [], typedSearchAttributes: [{ key: entityAttribute, value: id.slice(4) }] });
  await new Promise((r) => setTimeout(r, 2000));
  const v = id.slice(4);
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${id.replace(/\\/g, '\\\\')}"` })) console.log('byid', JSON.stringify(wf.typedSearchAttributes.get(entityAttribute)));
  for await (const wf of client.workflow.list({ query: `WorkflowType = "incidentWorkflow"` })) console.log('all', JSON.stringify(wf.workflowId), JSON.stringify(wf.typedSearchAttributes.get(entityAttribute)));
  const s = v.replace(/\\/g, '');
  for await (const wf of client.workflow.list({ query: `RiposteEntity STARTS_WITH "corp"` })) console.log('prefix', JSON.stringify(wf.workflowId));
  for (const q of [`RiposteEntity = "${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`, `RiposteEntity = "${v}"`, `RiposteEntity = '${v.replace(/\\/g, '\\\\')}'`, `RiposteEntity = "${v.replace(/\\/g, '\\\\\\\\')}"`]) {
    try {
      const n = [];
      for await (const wf of client.workflow.list({ query: q })) n.push(wf.workflowId);
      console.log(q, '=>', n);
    } catch (e) { console.log(q, 'ERR', (e as Error).message); }
  }
  await connection.close();
});
