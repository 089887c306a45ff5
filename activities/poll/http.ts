import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { VENDOR_REJECTED, vendorRequest } from '../vendorHttp.ts';
import { compareCursors, laterCursor } from './cursor.ts';
import { JsonPathError, parseJsonPath, type PathStep, selectPath } from './jsonPath.ts';
import { pollerKind } from './poller.ts';

const jsonPathField = z.string().max(500).transform((text, ctx): PathStep[] => {
  try {
    return parseJsonPath(text);
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    ctx.addIssue({ code: 'custom', message: `${err.message} (e.g. $.data.alerts[*])` });
    return z.NEVER;
  }
});

const settings = z.object({
  /** GET; query parameters the API needs besides the cursor (a page size, a status filter) go here. */
  url: z.url({ protocol: /^https?$/ }),
  /** Where the items are in the answer: `$.data.alerts[*]`. */
  items: jsonPathField,
  cursor: z.object({
    /** A field of each item that grows with every new one: a time or an increasing id; dotted for nested fields. */
    field: z.string().min(1).max(200),
    /** The query parameter the newest value seen is sent back in. */
    param: z.string().min(1).max(100),
    /** Sent on the first run; without it the first run sends no cursor and takes what the API answers. */
    initial: z.string().min(1).max(200).optional(),
  }).strict(),
}).strict();

function fieldValue(item: unknown, field: string): string | undefined {
  let value: unknown = item;
  for (const part of field.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? String(value) : undefined;
}

/**
 * Any JSON API that lists alerts newer than a value it is given: `GET url?<param>=<newest value seen>`. The items are
 * found with a JSONPath; the cursor is the greatest value of the cursor field among them. A run reads again while
 * the cursor moves, so an API that answers a page at a time is read to its end; whether it repeats the item at the
 * cursor or not, the poller skips what it has sent.
 */
export const httpPoller = pollerKind({
  kind: 'http',
  defaultSource: 'generic',
  settings,
  async read(s, { cursor, headers, label }) {
    const from = cursor ?? s.cursor.initial;
    const url = new URL(s.url);
    if (from !== undefined) url.searchParams.set(s.cursor.param, from);
    const { body } = await vendorRequest({ label, method: 'GET', url, headers });
    // A body without the list (an error page, a changed API) is a fault to see, never an empty page to pass over.
    const last = s.items.at(-1);
    const container = last !== undefined && 'wildcard' in last ? s.items.slice(0, -1) : undefined;
    if (container && !selectPath(body, container).some((value) => value !== null && typeof value === 'object')) {
      throw ApplicationFailure.create({ message: `${label}: the answer has nothing at the items path`, type: VENDOR_REJECTED, nonRetryable: true });
    }
    const items = selectPath(body, s.items);
    const newest = items.reduce<string | undefined>((max, item) => laterCursor(max, fieldValue(item, s.cursor.field)), undefined);
    const advanced = newest !== undefined && (from === undefined || compareCursors(newest, from) > 0);
    return { items, cursor: advanced ? newest : undefined, more: advanced };
  },
});
