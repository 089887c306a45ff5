import { BENCH_API_KEY } from './stack.ts';

/** A call to the bench's API with its key; the body is read whole so the connection is free for the next call. */
export async function callApi(apiUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** An alert through the API; anything but 202 (durably accepted) is a failure. */
export async function postAlert(apiUrl: string, body: unknown, path = '/v1/alerts/humio'): Promise<void> {
  const { status, text } = await callApi(apiUrl, 'POST', path, body);
  if (status !== 202) throw new Error(`alert answered ${status}: ${text.slice(0, 200)}`);
}
