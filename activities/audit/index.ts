import type { AuditRecord, AuditSink } from './record.ts';

export { audited, AUDIT_UNAVAILABLE } from './audited.ts';
export { createHttpAuditSink, type HttpAuditSink, type HttpAuditSinkOptions } from './httpSink.ts';
export { JsonlAuditSink, openJsonlAuditSink } from './jsonlSink.ts';
export { createJsonlAuditReader } from './reader.ts';
export * from './record.ts';

/**
 * The store of record first, then the forwarders: a record reaches the SIEM only once the file has it, and a failing
 * forwarder (which queues in the background and never rejects) can neither fail nor slow down an action.
 */
export function combineAuditSinks(record: AuditSink, forwarders: readonly AuditSink[] = []): AuditSink {
  if (forwarders.length === 0) return record;
  return {
    async append(records: readonly AuditRecord[]) {
      await record.append(records);
      for (const forwarder of forwarders) forwarder.append(records).catch(() => undefined);
    },
    async close() {
      await Promise.allSettled(forwarders.map((f) => f.close()));
      await record.close();
    },
  };
}

/** Keeps nothing. Only for tests and tools that run activities without an audit trail. */
export const discardAudit: AuditSink = { append: async () => undefined, close: async () => undefined };
