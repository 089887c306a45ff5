/**
 * The part of JSONPath (RFC 9535) a poller needs to find the items in an answer: `$`, member names (`.alerts`,
 * `['alert list']`), array indices (`[0]`, `[-1]`) and wildcards (`[*]`, `.*`). No filters, slices or descendants.
 */
export type PathStep = { member: string } | { index: number } | { wildcard: true };

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

const NAME = /^[A-Za-z_$][\w$-]*/;

export function parseJsonPath(text: string): PathStep[] {
  if (!text.startsWith('$')) throw new JsonPathError('a JSONPath begins with $');
  const steps: PathStep[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('.*')) {
      steps.push({ wildcard: true });
      rest = rest.slice(2);
    } else if (rest.startsWith('.')) {
      const name = rest.slice(1).match(NAME)?.[0];
      if (!name) throw new JsonPathError(`expected a member name after "." at ${JSON.stringify(rest.slice(0, 20))}; quote other names: ['a name']`);
      steps.push({ member: name });
      rest = rest.slice(1 + name.length);
    } else if (rest.startsWith('[')) {
      const [step, length] = bracket(rest);
      steps.push(step);
      rest = rest.slice(length);
    } else {
      throw new JsonPathError(`unexpected ${JSON.stringify(rest.slice(0, 20))}: use .name, ['name'], [0] or [*]`);
    }
  }
  return steps;
}

/** One `[...]` step at the start of `text`, and its length. */
function bracket(text: string): [PathStep, number] {
  const simple = text.match(/^\[(\*|-?\d{1,9})\]/);
  if (simple) return [simple[1] === '*' ? { wildcard: true } : { index: Number(simple[1]) }, simple[0].length];
  const quote = text[1];
  if (quote !== "'" && quote !== '"') throw new JsonPathError(`unexpected ${JSON.stringify(text.slice(0, 20))}: inside [ ] use *, an index or a quoted name`);
  let name = '';
  for (let i = 2; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '\\') {
      const escaped = text[i + 1];
      if (escaped !== quote && escaped !== '\\') throw new JsonPathError(`only \\${quote} and \\\\ are escapes in a quoted name`);
      name += escaped;
      i += 1;
    } else if (char === quote) {
      if (text[i + 1] !== ']') throw new JsonPathError(`expected ] after the quoted name ${JSON.stringify(name)}`);
      return [{ member: name }, i + 2];
    } else {
      name += char;
    }
  }
  throw new JsonPathError('a quoted name is not closed');
}

/** Every value the path reaches, in document order; a member or index that is absent reaches nothing. */
export function selectPath(document: unknown, steps: readonly PathStep[]): unknown[] {
  let current: unknown[] = [document];
  for (const step of steps) current = current.flatMap((value) => stepInto(value, step));
  return current;
}

function stepInto(value: unknown, step: PathStep): unknown[] {
  if ('wildcard' in step) {
    if (Array.isArray(value)) return value;
    return isRecord(value) ? Object.values(value) : [];
  }
  if ('index' in step) {
    if (!Array.isArray(value)) return [];
    const at = step.index < 0 ? value.length + step.index : step.index;
    return at >= 0 && at < value.length ? [value[at]] : [];
  }
  return isRecord(value) && Object.hasOwn(value, step.member) ? [value[step.member]] : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
