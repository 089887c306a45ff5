import { z } from 'zod';

/** A JSON Schema in draft 2020-12, the dialect of OpenAPI 3.1's schema objects. */
export type JsonSchema = Record<string, unknown>;

export interface QueryParameter {
  name: string;
  in: 'query';
  required: boolean;
  schema: JsonSchema;
}

/**
 * What a client sends, as the route's own zod schema reads it: the input side of its transforms (an address is the
 * text sent, a field with a default may be left out). A recursive schema throws rather than emit a `$ref` into
 * `$defs`, which inside the OpenAPI document would resolve against the document's root.
 */
export function requestSchema(schema: z.ZodType): JsonSchema {
  const json: JsonSchema = z.toJSONSchema(schema, { io: 'input', cycles: 'throw' });
  // The document's dialect already is draft 2020-12; one `$schema` per body is noise.
  delete json.$schema;
  return json;
}

/** A route's query schema as one OpenAPI query parameter a field. */
export function queryParameters(schema: z.ZodObject): QueryParameter[] {
  const { properties = {}, required = [] } = requestSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.includes(name), schema: property }));
}
