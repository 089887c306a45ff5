import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { secretFromEnv } from '../runtime/secrets.ts';
import { clean, CliError, UsageError } from './errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const TIMEOUT_MS = 30_000;

export interface ApiKey {
  value: string;
  /** Where it came from, for messages; the key itself is never printed. */
  source: string;
}

/** `RIPOSTE_API_KEY`, else the file named by `RIPOSTE_API_KEY_FILE`, else the development key `npm start` wrote. */
export function resolveApiKey(env: NodeJS.ProcessEnv): ApiKey {
  let value: string | undefined;
  try {
    value = secretFromEnv(env, 'RIPOSTE_API_KEY');
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  let source = env.RIPOSTE_API_KEY ? 'RIPOSTE_API_KEY' : `RIPOSTE_API_KEY_FILE (${env.RIPOSTE_API_KEY_FILE})`;
  if (value === undefined) {
    const devKeyFile = join(env.RIPOSTE_DATA_DIR || '.data', 'dev-api-key');
    if (!existsSync(devKeyFile)) {
      throw new CliError('no API key: set RIPOSTE_API_KEY, or RIPOSTE_API_KEY_FILE to a file holding it', 1, [
        `(without either, the development key in ${devKeyFile} is used when it exists)`,
      ]);
    }
    try {
      value = secretFromEnv({ RIPOSTE_API_KEY_FILE: devKeyFile }, 'RIPOSTE_API_KEY');
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    source = `the development key file ${devKeyFile}`;
  }
  if (!value) throw new CliError(`the API key from ${source} is empty`);
  // Checked here so that fetch never echoes a malformed key in its own error message.
  if (!/^[\x21-\x7e]+$/.test(value)) throw new CliError(`the API key from ${source} contains characters an HTTP header cannot carry`);
  return { value, source };
}

export function resolveBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): URL {
  const [text, from] = flag !== undefined ? [flag, '--url'] : [env.RIPOSTE_URL || DEFAULT_URL, env.RIPOSTE_URL ? 'RIPOSTE_URL' : 'the default URL'];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw flag !== undefined ? new UsageError(`${from} is not a URL: ${clean(text)}`) : new CliError(`${from} is not a URL: ${clean(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw flag !== undefined ? new UsageError(`${from} must be an http or https URL`) : new CliError(`${from} must be an http or https URL`);
  }
  if (url.username || url.password) throw new CliError(`${from} must not carry credentials; use RIPOSTE_API_KEY`);
  return url;
}

/** The API refused a request: its HTTP status, for callers that tell a refused key from a passing failure. */
export class ApiError extends CliError {
  constructor(message: string, readonly status: number, details: string[]) {
    super(message, 1, details);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: unknown;
  message?: unknown;
  issues?: { path?: unknown; message?: unknown }[];
}

/** The Riposte HTTP API, authenticated with one key; every failure becomes a CliError with the API's own words. */
export class ApiClient {
  constructor(readonly baseUrl: URL, private readonly key: ApiKey) {}

  private urlOf(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.baseUrl.href.endsWith('/') ? this.baseUrl : `${this.baseUrl.href}/`);
  }

  /**
   * One request through node:http(s): for a command that makes one call and exits, it loads and exits far sooner than
   * fetch, whose pool keeps the process alive after the answer. No agent: the connection closes with the answer.
   */
  private send(method: string, url: URL, options: { accept: string; body?: string; signal: AbortSignal }): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = {
      authorization: `Bearer ${this.key.value}`,
      accept: options.accept,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
    };
    return new Promise((ok, fail) => {
      const req = send(url, { method, headers, signal: options.signal, agent: false }, ok);
      req.once('error', fail);
      req.end(options.body);
    });
  }

  async call<T>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<T> {
    const url = this.urlOf(path);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
    const where = this.baseUrl.origin;
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let response: IncomingMessage;
    let text = '';
    try {
      response = await this.send(method, url, { accept: 'application/json', body: options.body === undefined ? undefined : JSON.stringify(options.body), signal });
      response.setEncoding('utf8');
      for await (const chunk of response) text += chunk;
    } catch (err) {
      throw this.transportError(signal.aborted ? signal.reason : err, where);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      if (json === undefined) throw new CliError(`the API at ${where} answered ${status} without JSON; is RIPOSTE_URL pointing at Riposte?`);
      return json as T;
    }
    throw this.apiError(response, json as ErrorBody | undefined, text);
  }

  /**
   * Opens a Server-Sent Events stream: resolves with the response once the API answered 2xx, else throws as `call`
   * does. Only the wait for that answer is timed; the stream lasts until `signal` aborts it or the server ends it.
   */
  async stream(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    const answered = new AbortController();
    const timer = setTimeout(() => answered.abort(new DOMException('no answer', 'TimeoutError')), TIMEOUT_MS);
    let response: IncomingMessage;
    try {
      response = await this.send('GET', this.urlOf(path), { accept: 'text/event-stream', signal: AbortSignal.any([signal, answered.signal]) });
    } catch (err) {
      throw this.transportError(answered.signal.aborted ? answered.signal.reason : err, this.baseUrl.origin);
    } finally {
      clearTimeout(timer);
    }
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    let text = '';
    response.setEncoding('utf8');
    for await (const chunk of response) text += chunk;
    let body: ErrorBody | undefined;
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      body = undefined;
    }
    throw this.apiError(response, body, text);
  }

  private apiError(response: IncomingMessage, body: ErrorBody | undefined, text: string): ApiError {
    const status = response.statusCode ?? 0;
    const details: string[] = [];
    const isRiposteError = typeof body === 'object' && body !== null && typeof body.message === 'string';
    const message = isRiposteError
      ? clean(body.message)
      : `HTTP ${status} ${clean(response.statusMessage)}${text ? `: ${clean(text.slice(0, 200))}` : ''}`;
    if (isRiposteError && Array.isArray(body.issues)) {
      for (const issue of body.issues) details.push(`  ${clean(issue?.path ?? '(body)')}: ${clean(issue?.message)}`);
    }
    if (status === 401) details.push(`hint: the key from ${this.key.source} was not accepted by ${this.baseUrl.origin}`);
    if (status === 503 || status === 429) {
      const retry = response.headers['retry-after'];
      if (retry) details.push(`hint: retry after ${clean(retry)} s`);
    }
    return new ApiError(message, status, details);
  }

  private transportError(err: unknown, where: string): CliError {
    const error = err as Error & { code?: string };
    if (error?.name === 'TimeoutError') return new CliError(`the Riposte API at ${where} did not answer within ${TIMEOUT_MS / 1000} s`);
    const reason = error?.code ?? error?.message ?? String(err);
    return new CliError(`cannot reach the Riposte API at ${where} (${clean(reason)})`, 1, [
      'hint: is Riposte running (npm start, or npm run api)? Set RIPOSTE_URL to point elsewhere.',
    ]);
  }
}
