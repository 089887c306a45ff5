import { type Client, Connection } from '@temporalio/client';

/** Longer than a reconnect to a server that is up takes, well short of a SIEM webhook's timeout. */
const READY_WITHIN_MS = 1500;

/** gRPC's connectivity states (`connectivityState` of @grpc/grpc-js, which the SDK bundles and does not re-export). */
const READY = 2;
const TRANSIENT_FAILURE = 3;
const SHUTDOWN = 4;

interface GrpcChannel {
  getConnectivityState(tryToConnect: boolean): number;
  watchConnectivityState(current: number, deadline: number, onChange: (err?: Error) => void): void;
}
/** The SDK's gRPC client: protected in its types only. */
type WithGrpcClient = { client: { getChannel(): GrpcChannel } };

/**
 * Whether Temporal can be reached, from the client's gRPC channel alone (no call to the server, so every request may
 * ask). A stopped server refuses the connection, which the channel reports within milliseconds as a failure. A busy
 * one does not: its channel is connected, or still connecting when the wait ends. The server closes connections now
 * and then (their maximum age), and under a storm the reconnect can outlast any short wait; that server is taken as
 * reachable, and the calls' own deadline decides. A client over some other kind of connection is taken as reachable.
 */
export async function temporalReachable(client: Client): Promise<boolean> {
  if (!(client.connection instanceof Connection)) return true;
  const channel = (client.connection as unknown as WithGrpcClient).client.getChannel();
  const deadline = Date.now() + READY_WITHIN_MS;
  let state = channel.getConnectivityState(true);
  while (state !== READY) {
    if (state === TRANSIENT_FAILURE || state === SHUTDOWN) return false;
    const changed = await new Promise<boolean>((settle) => channel.watchConnectivityState(state, deadline, (err) => settle(!err)));
    if (!changed) return true;
    state = channel.getConnectivityState(true);
  }
  return true;
}
