/**
 * Which characters text from outside may carry (docs/decisions/0084). One
 * rule for the whole platform: the API's edge middleware, the shared zod
 * string types and the live protocols all ask `forbiddenCharacter`.
 *
 * Refused: U+0000 (Postgres cannot store it: a NUL reaching a query was a
 * 500), the other C0 and C1 control characters and DEL (terminal and log
 * injection, invisible in every UI), lone surrogates (not Unicode: stored as
 * U+FFFD, so what is read back differs from what was sent) and the
 * noncharacters (U+FDD0–U+FDEF and the last two code points of every plane).
 * Tab, line feed and carriage return are allowed only where the text may span
 * lines. Runtime-free: it imports nothing.
 */

export interface ForbiddenCharacter {
  /** UTF-16 index in the string. */
  index: number;
  /** The code point (a lone surrogate is reported as itself). */
  codePoint: number;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

function forbiddenCodePoint(cp: number, multiline: boolean): boolean {
  if (cp < 0x20) return !(multiline && (cp === TAB || cp === LF || cp === CR));
  if (cp >= 0x7f && cp <= 0x9f) return true;
  if (cp >= 0xd800 && cp <= 0xdfff) return true; // only reached for a lone surrogate
  if (cp >= 0xfdd0 && cp <= 0xfdef) return true;
  return (cp & 0xfffe) === 0xfffe;
}

/** Everything printable (and plain spaces): the common case is answered by one regex test. */
const PLAIN = /^[\x20-\x7e]*$/;

/** The first character the platform refuses in `text`, or null when there is none. */
export function forbiddenCharacter(text: string, options: { multiline?: boolean } = {}): ForbiddenCharacter | null {
  if (PLAIN.test(text)) return null;
  const multiline = options.multiline ?? false;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        if (forbiddenCodePoint(cp, multiline)) return { index: i, codePoint: cp };
        i++;
        continue;
      }
    }
    if (forbiddenCodePoint(cp, multiline)) return { index: i, codePoint: cp };
  }
  return null;
}

/** `U+0000` style. */
export const codePointName = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** The message every refusal carries, so clients see one wording. */
export const forbiddenCharacterMessage = (found: ForbiddenCharacter): string =>
  `contains a character that is not allowed (${codePointName(found.codePoint)} at index ${found.index}): control characters, lone surrogates and noncharacters are refused`;
