/** A zod issue's path as a person reads it: `keys[2].allowFrom[0]`, `rule.level`; `empty` names the whole document. */
export function fieldPath(path: readonly PropertyKey[], empty = '(top level)'): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '') || empty;
}
