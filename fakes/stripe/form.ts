/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket
 * nesting, as the SDK writes it (`metadata[order_id]=…`,
 * `payment_method_data[card][number]=…`, `expand[0]=…`). Parsed into plain
 * nested objects; numeric keys become arrays.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

function keyPath(raw: string): string[] {
  const first = raw.indexOf('[');
  if (first === -1) return [raw];
  const parts = [raw.slice(0, first)];
  for (const match of raw.slice(first).matchAll(/\[([^\]]*)\]/g)) parts.push(match[1]!);
  return parts;
}

function assign(target: FormObject, path: string[], value: string): void {
  let node: FormObject = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as FormObject;
  }
  const last = path.at(-1)!;
  // `expand[]=a&expand[]=b`: an empty key appends.
  node[last === '' ? String(Object.keys(node).length) : last] = value;
}

/** Objects whose keys are exactly 0..n-1 become arrays. */
function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const k of keys) converted[k] = arraysFromIndexedObjects(value[k]!);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => converted[k]!);
  return converted;
}

export function parseForm(body: string): FormObject {
  const out: FormObject = {};
  for (const [key, value] of new URLSearchParams(body)) assign(out, keyPath(key), value);
  return arraysFromIndexedObjects(out) as FormObject;
}

/** A stable text form of parameters, so the same params in another order compare equal. */
export function canonicalParams(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalParams).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalParams(value[k]!)}`)
    .join(',')}}`;
}

export const str = (v: FormValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const obj = (v: FormValue | undefined): FormObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
