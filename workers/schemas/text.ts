/**
 * The shared string types of the API's request schemas: every string a
 * client sends is one of these, so the character rule of domain/text.ts
 * (docs/decisions/0084) holds in the schema as well as at the edge
 * (middleware/input-characters.ts), for code that validates without the app
 * in front (RPC, tests, the queue). One-line fields refuse tab and line
 * breaks too; `MultilineText` allows them.
 */
import { z } from '@hono/zod-openapi';
import { forbiddenCharacter, forbiddenCharacterMessage } from '../../domain/text';

const refusal = (multiline: boolean) =>
  z.refine<string>((value) => forbiddenCharacter(value, { multiline }) === null, {
    error: (issue) => {
      const found = typeof issue.input === 'string' ? forbiddenCharacter(issue.input, { multiline }) : null;
      return found ? forbiddenCharacterMessage(found) : 'contains a character that is not allowed';
    },
  });

/** One line of text: no control characters (tab and line breaks included), lone surrogates or noncharacters. */
export const Text = z.string().check(refusal(false));

/** Text that may span lines: tab, line feed and carriage return allowed; nothing else of the refused set. */
export const MultilineText = z.string().check(refusal(true));

/** An id in a path or a body (`ord_…`, `mer_…`): one line, 1 to 64 characters. */
export const IdText = Text.min(1).max(64);
