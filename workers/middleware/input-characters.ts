/**
 * The edge rule of docs/decisions/0084: no control character, lone surrogate
 * or noncharacter (domain/text.ts) gets past the app's edge, whatever route
 * the request is for. Before any route runs:
 * - the path: 404 (an id with such a character names nothing);
 * - the query string (names and values): 422 `validation-failed`;
 * - a JSON or form body (every string, keys included): 422 `validation-failed`,
 *   each error naming the field (`json.dropoff.address`). Tab, line feed and
 *   carriage return are allowed in bodies; the shared zod string types
 *   (schemas/text.ts) refuse them where a field is one line.
 * A body that is not valid JSON is left to the route's validator (400); a
 * JSON or form body declared in another charset than UTF-8 is a 415.
 */
import { createMiddleware } from 'hono/factory';
import { forbiddenCharacter, forbiddenCharacterMessage } from '../../domain/text';
import type { AppEnv } from '../env';
import { Problem, problems, type FieldError } from '../problem';

const MAX_ERRORS = 10;
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** Each segment of the raw path, percent-decoded; false when one does not decode or carries a refused character. */
function pathIsClean(rawPath: string): boolean {
  for (const segment of rawPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false; // not UTF-8 once decoded
    }
    if (forbiddenCharacter(decoded)) return false;
  }
  return true;
}

function checkPairs(pairs: Iterable<[string, string]>, target: string, errors: FieldError[]): void {
  for (const [name, value] of pairs) {
    const inName = forbiddenCharacter(name);
    if (inName) errors.push({ path: target, message: `a parameter name ${forbiddenCharacterMessage(inName)}` });
    const inValue = forbiddenCharacter(value, { multiline: target === 'form' });
    if (inValue) errors.push({ path: `${target}.${inName ? '?' : name}`, message: forbiddenCharacterMessage(inValue) });
    if (errors.length >= MAX_ERRORS) return;
  }
}

/** Every string of a parsed JSON value, keys included, with its path. */
function checkJson(value: unknown, path: string, errors: FieldError[]): void {
  if (errors.length >= MAX_ERRORS) return;
  if (typeof value === 'string') {
    const found = forbiddenCharacter(value, { multiline: true });
    if (found) errors.push({ path, message: forbiddenCharacterMessage(found) });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(item, `${path}.${i}`, errors));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const inKey = forbiddenCharacter(key);
      if (inKey) {
        errors.push({ path, message: `a property name ${forbiddenCharacterMessage(inKey)}` });
        continue;
      }
      checkJson(item, `${path}.${key}`, errors);
    }
  }
}

export const inputCharacters = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  if (!pathIsClean(url.pathname)) throw problems.notFound('No such resource.');
  const errors: FieldError[] = [];
  checkPairs(url.searchParams, 'query', errors);
  const type = c.req.header('content-type') ?? '';
  if (c.req.raw.body && (JSON_TYPE.test(type) || FORM_TYPE.test(type))) {
    // JSON is UTF-8 (RFC 8259) and so are our forms: another declared charset is refused, not misread.
    const charset = /;\s*charset\s*=\s*"?([\w-]+)/i.exec(type)?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new Problem(415, 'unsupported-media-type', 'Send the body as UTF-8.');
    // Hono caches the bytes read here: json(), text(), parseBody() and a
    // signature check over the raw body (Stripe) all read these same bytes.
    const text = new TextDecoder().decode(await c.req.arrayBuffer());
    if (FORM_TYPE.test(type)) checkPairs(new URLSearchParams(text), 'form', errors);
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined; // the route's validator answers 400
      }
      checkJson(parsed, 'json', errors);
    }
  }
  if (errors.length > 0) throw problems.validation(errors.slice(0, MAX_ERRORS));
  await next();
});
