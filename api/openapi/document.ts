import { z } from 'zod';
import { type Access, accessFor } from '../access.ts';
import { alertBodySchemas } from './alertBodies.ts';
import { type JsonSchema, queryParameters, requestSchema } from './jsonSchema.ts';
import { type Operation, OPERATIONS, type RequestBody } from './operations.ts';
import { ERROR_SCHEMA, errorResponse, type ErrorStatus, guardStatuses } from './responses.ts';
import { accessSentence, SECURITY_SCHEMES, securityFor } from './security.ts';

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, OpenApiOperation>> };
export type OpenApiOperation = Record<string, unknown> & { security: Record<string, string[]>[]; responses: Record<string, unknown> };

/** `/v1/incidents/:id/approve` → `/v1/incidents/{id}/approve`. */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');

const pathParameterNames = (expressPath: string): string[] => [...expressPath.matchAll(/:(\w+)/g)].map((match) => match[1]!);

/** `/v1/blocks/:ip` → `blocks`; the unversioned service routes share one tag. */
const tagOf = (path: string): string => {
  const [first, second] = path.split('/').slice(1);
  return first === 'v1' && second ? second : 'service';
};

function pathParameters(operation: Operation) {
  const names = pathParameterNames(operation.path);
  const declared = Object.keys(operation.pathParameters ?? {});
  if (names.join() !== declared.join()) throw new Error(`${operation.method} ${operation.path} declares path parameters [${declared}], its path has [${names}]`);
  return names.map((name) => ({ name, in: 'path', required: true, ...operation.pathParameters![name] }));
}

function requestBody({ schema, mediaType = 'application/json', required }: RequestBody) {
  const isZod = schema instanceof z.ZodType;
  return {
    required: required ?? (isZod ? !schema.safeParse({}).success : true),
    content: { [mediaType]: { schema: isZod ? requestSchema(schema) : schema } },
  };
}

const SUCCESS_SCHEMA: Record<string, JsonSchema> = { 'application/json': { type: 'object' }, 'text/plain': { type: 'string' }, 'text/event-stream': { type: 'string' } };

function responses(operation: Operation, access: Access) {
  const produces = operation.produces ?? 'application/json';
  const success = Object.entries(operation.ok).map(([status, description]) => [status, {
    description,
    ...(status === '304' || produces === 'none' ? {} : { content: { [produces]: { schema: SUCCESS_SCHEMA[produces] } } }),
  }]);
  const statuses = new Set<ErrorStatus>([
    ...guardStatuses(access),
    ...(operation.body || operation.query ? [400 as const] : []),
    ...(operation.body ? [413 as const] : []),
    ...(operation.temporal ? [503 as const] : []),
    ...(Object.keys(operation.errors ?? {}).map(Number) as ErrorStatus[]),
  ]);
  const failures = [...statuses].sort((a, b) => a - b).map((status) => [status, errorResponse(status, operation.errors?.[status])]);
  return Object.fromEntries([...success, ...failures]);
}

function operationObject(operation: Operation) {
  const { access } = accessFor(operation.method, operation.path);
  const parameters = [...pathParameters(operation), ...(operation.query ? queryParameters(operation.query) : [])];
  return {
    tags: [tagOf(operation.path)],
    summary: operation.summary,
    description: [accessSentence(access), operation.description].filter(Boolean).join(' '),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: requestBody(operation.body) } : {}),
    security: securityFor(access),
    responses: responses(operation, access),
  };
}

function buildDocument(): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of OPERATIONS) {
    const item = (paths[openApiPath(operation.path)] ??= {});
    item[operation.method.toLowerCase()] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Riposte API',
      version: '1',
      description: 'SIEM alerts in; incidents, approvals, blocks, feeds and the kill switch out. Every request schema here is generated from the zod schema its route validates with. Errors are JSON `{error, message, issues?}`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA, ...alertBodySchemas() },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

let built: OpenApiDocument | undefined;

/** Built once, on first use: the schemas do not change while the process runs. */
export function openApiDocument(): OpenApiDocument {
  built ??= buildDocument();
  return built;
}
