/** One Server-Sent Event as the stream carried it. */
export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events (the WHATWG rules a CLI needs: `id`, `event`, `data`, comments skipped); feed
 * it chunks as they come, in any split.
 */
export function eventStreamParser(onEvent: (event: StreamEvent) => void): (chunk: string) => void {
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onEvent({ ...(id !== undefined ? { id } : {}), event: event || 'message', data: data.join('\n') });
      [event, data] = ['', []];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop()!;
    for (const text of lines) line(text);
  };
}
