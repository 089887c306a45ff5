import { alertSchema } from '../../domain/alert.ts';
import { alertSources, MAX_ALERTS_PER_REQUEST, SUPPORTED_SOURCES } from '../sources/index.ts';
import { type JsonSchema, requestSchema } from './jsonSchema.ts';

/** The integration guide of a source under docs/integrations/, where it is not named after the source. */
const GUIDES: Readonly<Record<string, string>> = { humio: 'logscale' };

const integrationGuide = (source: string): string => `docs/integrations/${GUIDES[source] ?? source}.md`;

const componentName = (source: string) => (source === 'generic' ? 'Alert' : `SiemBody.${source}`);
const ref = (source: string) => ({ $ref: `#/components/schemas/${componentName(source)}` });

/**
 * Riposte's own alert, and each SIEM's body as its source's schema (api/sources/) reads it. A source that tells its
 * vendor's shapes apart by the body itself (LogScale's action JSON or the seed template, Wazuh's alert or Shuffle's
 * wrapper) validates in its code, so its schema here is open and its guide describes the shapes.
 */
export function alertBodySchemas(): Record<string, JsonSchema> {
  return {
    [componentName('generic')]: { ...requestSchema(alertSchema), description: 'A normalized alert (`generic`): every field is canonicalized on the way in.' },
    ...Object.fromEntries(alertSources.map((source) => [componentName(source.name), {
      ...requestSchema(source.body),
      description: `The body ${source.name} sends, read by api/sources/${source.name}.ts; see ${integrationGuide(source.name)}.`,
    }])),
  };
}

const oneOrMany = (single: JsonSchema): JsonSchema => ({
  anyOf: [single, { type: 'array', minItems: 1, maxItems: MAX_ALERTS_PER_REQUEST, items: single }],
});

/** `POST /v1/alerts`: one normalized alert or an array. */
export const genericAlertsBody = (): JsonSchema => oneOrMany(ref('generic'));

/** `POST /v1/alerts/{source}`: the body of the SIEM the path names, or an array of them. */
export const sourceAlertsBody = (): JsonSchema => ({
  description: 'The body the SIEM named by `source` sends (`SiemBody.<source>`, `Alert` for generic), or an array of such bodies.',
  ...oneOrMany({ anyOf: SUPPORTED_SOURCES.map(ref) }),
});
