import { type Client, Connection } from '@temporalio/client';

/** Longer than a reconnect to a server that is up takes, well short of a SIEM webhook's timeout. */
const READY_WITHIN_MS = 1500;

/** The SDK's own wait for its gRPC channel (`Connection.untilReady`, gRPC's `waitForReady`): protected in its types only. */
type ChannelWait = { untilReady(deadline: number): Promise<void> };

/**
 * Whether Temporal can be reached: the client's gRPC channel is connected, or connects within 1.5 s. This tells a
 * stopped server from a busy one: under a storm the channel stays connected however long the calls on it take. It
 * costs no call to the server (a connected channel answers at once), so every request may ask. A client over some
 * other kind of connection is taken as reachable, and its calls' deadlines decide.
 */
export async function temporalReachable(client: Client): Promise<boolean> {
  if (!(client.connection instanceof Connection)) return true;
  try {
    await (client.connection as unknown as ChannelWait).untilReady(Date.now() + READY_WITHIN_MS);
    return true;
  } catch {
    return false;
  }
}
