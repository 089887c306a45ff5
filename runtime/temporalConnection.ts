import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config.ts';

type TemporalConfig = Config['temporal'] & { address: string };

/** Plain, TLS, mTLS or API-key settings, shared by the client and the worker connections. */
async function connectionOptions(t: TemporalConfig) {
  const read = async (path?: string) => (path ? readFile(path) : undefined);
  const [crt, key, serverRootCACertificate] = await Promise.all([read(t.clientCertPath), read(t.clientKeyPath), read(t.serverCaPath)]);
  if (Boolean(crt) !== Boolean(key)) throw new Error('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together');
  const tls = t.tls
    ? { serverNameOverride: t.serverName, serverRootCACertificate, clientCertPair: crt && key ? { crt, key } : undefined }
    : undefined;
  return { address: t.address, tls, apiKey: t.apiKey };
}

export async function connectClient(t: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(t));
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorker(t: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionOptions(t));
}
