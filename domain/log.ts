/**
 * The one logger of the Worker and the Durable Objects: a JSON line per
 * entry, and nothing personal in it (ASVS V7.1.1/V7.1.2, docs/security.md).
 *
 * - Fields are an allow-list: a string or object under a key not in
 *   `LOGGABLE_FIELDS` is written as "[redacted]" (numbers and booleans,
 *   which are counts and flags, are kept). Add a key only for ids, codes and
 *   names of things; never for names, contact data, addresses, PINs, tokens,
 *   keys or request bodies. A PIN is a string, never a number.
 * - `error` (or `cause`) is described, not printed: a failing query by its
 *   statement ("insert into orders") and SQLSTATE code, never its text's
 *   values nor its parameters (postgres.js errors carry `parameters`, and
 *   drizzle's message is "Failed query: … params: …"); any other error by its
 *   name and its message with emails, phone numbers and tokens masked.
 * - Every string is masked the same way and cut at 300 characters, with
 *   line breaks escaped by JSON (no forged log lines).
 *
 * It lives in domain/ because the Durable Objects log too and never import
 * workers/; it needs nothing but `console`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** Keys whose values are logged (masked); everything else is "[redacted]". */
export const LOGGABLE_FIELDS: ReadonlySet<string> = new Set([
  // request, batch, run (docs/logging.md); `principal` is the caller's kind (a role), never who
  'requestId', 'traceId', 'method', 'route', 'status', 'durationMs', 'principal', 'operation', 'queue', 'job', 'outcome',
  // ids of things (never of a secret)
  'id', 'orderId', 'merchantId', 'paymentId', 'intentId', 'refundId', 'eventId', 'messageId', 'keyId', 'cityId', 'driverId',
  'offerId', 'endpointId', 'deliveryId', 'photoId', 'userId', 'shard', 'to', 'call', 'scope',
  // what happened
  'event', 'eventType', 'type', 'template', 'channel', 'kind', 'effect', 'reason', 'code', 'closeCode', 'limit',
  'attempts', 'after', 'before', 'unanswered', 'deleted', 'checked', 'placed', 'cancelled', 'failed', 'count', 'seconds',
  // schema objects the maintenance touched (services/partitions.ts): table and partition names
  'table', 'partition', 'created', 'dropped', 'kept', 'moved',
  // money (amounts and currencies, never card data)
  'expectedCents', 'receivedCents', 'expectedCurrency', 'receivedCurrency',
]);

const MAX_STRING = 300;
const REDACTED = '[redacted]';

const MASKS: [RegExp, string][] = [
  // drizzle's "Failed query: <sql>\nparams: <values>" and postgres.js' parameter dumps
  [/Failed query:[\s\S]*/g, '[query withheld]'],
  [/\bparams: [\s\S]*/g, '[parameters withheld]'],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[jwt]'],
  [/\b(?:whsec|sk|rk|pk|dpk|rt)_[\w./+=-]{6,}/g, '[secret]'],
  [/\bpi_\w+_secret_\w+/g, '[client-secret]'],
  [/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '[email]'],
  // Phone-like runs of digits, but not inside an id or a UUID (request ids must stay whole to be followed).
  [/(?<![\w-])\+?\d[\d ().-]{6,}\d(?![\w-])/g, '[number]'],
  // Our ids are `abc_` + 20 characters; a longer bare run is a token (tracking tokens are 32).
  [/(?<![\w-])(?![a-z]{3}_)[A-Za-z0-9_-]{24,}/g, '[token]'],
];

/** A string as it may appear in a log line. */
export function maskText(text: string, max = MAX_STRING): string {
  let out = text;
  for (const [pattern, replacement] of MASKS) out = out.replace(pattern, replacement);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

export interface ErrorDescription {
  name: string;
  /** SQLSTATE for a database error; a system code (ECONNREFUSED) or provider code otherwise. */
  code?: string;
  /** The failing statement: verb and table ("insert into orders"), never its values. */
  statement?: string;
  table?: string;
  constraint?: string;
  /** Only for errors that are not the database's (whose messages may quote values). */
  message?: string;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  query?: unknown;
  cause?: unknown;
  severity?: unknown;
  table_name?: unknown;
  constraint_name?: unknown;
}

const str = (x: unknown): string | undefined => (typeof x === 'string' && x.length > 0 ? x : undefined);

/** "select orders", "insert into products", "update merchants": what a query does to which table. */
export function statementName(query: string): string {
  const q = query.trim().replace(/\s+/g, ' ');
  const verb = /^(select|insert into|update|delete from|with|begin|commit|rollback|savepoint|release|set|lock table)\b/i.exec(q)?.[1]?.toLowerCase();
  if (!verb) return 'statement';
  if (verb === 'with') {
    // A CTE is named by the statement it ends in (drizzle writes `with … insert into "orders" …`).
    const main = /\b(insert into|delete from) "?([\w.]+)"?|\b(update) "?([\w.]+)"? set\b/i.exec(q);
    if (main) return `${(main[1] ?? main[3])!.toLowerCase()} ${main[2] ?? main[4]}`;
  }
  const table = (verb === 'select' || verb === 'with' ? /\bfrom "?([\w.]+)"?/i.exec(q) : /^[a-z ]+? "?([\w.]+)"?/i.exec(q))?.[1];
  return table ? `${verb} ${table}` : verb;
}

const isDatabaseError = (e: ErrorLike): boolean =>
  e.name === 'PostgresError' || (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && e.severity !== undefined);

/** What a log line may say about an error (see the module comment). */
export function describeError(error: unknown): ErrorDescription {
  if (error === null || typeof error !== 'object') return { name: typeof error, message: maskText(String(error)) };
  let statement: string | undefined;
  let outer: ErrorLike | undefined;
  for (let e = error as ErrorLike, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as ErrorLike, depth++) {
    outer ??= e;
    const query = str(e.query);
    if (query && !statement) statement = statementName(query);
    if (isDatabaseError(e)) {
      return {
        name: 'PostgresError',
        code: e.code as string,
        ...(statement ? { statement } : {}),
        ...(str(e.table_name) ? { table: e.table_name as string } : {}),
        ...(str(e.constraint_name) ? { constraint: e.constraint_name as string } : {}),
      };
    }
    // drizzle's wrapper: its message is the query and its parameters; the cause says what failed.
    if (query && e.cause) continue;
    const code = str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined);
    return {
      name: str(e.name) ?? 'Error',
      ...(code ? { code: maskText(code) } : {}),
      ...(statement ? { statement } : {}),
      message: query ? '[query withheld]' : maskText(String(e.message ?? '')),
    };
  }
  return { name: str(outer?.name) ?? 'Error', ...(statement ? { statement } : {}) };
}

function safeValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return value;
  if (typeof value === 'string') return maskText(value);
  if (typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (depth >= 2) return REDACTED;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => safeValue(v, depth + 1));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).slice(0, 30).map(([k, v]) => [maskText(k), safeValue(v, depth + 1)]));
  return REDACTED;
}

const frames = (stack: string): string =>
  stack
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, 6)
    .join(' | ');

/** The fields as they are written: allow-listed keys masked, errors described, the rest redacted. */
export function redactFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'error' || key === 'cause') out[key] = describeError(value);
    // Only the frames: a stack starts with the message, which may be a query and its parameters.
    else if (key === 'stack') out[key] = typeof value === 'string' ? maskText(frames(value), 1200) : REDACTED;
    // Numbers and booleans (counts, sizes, flags) say nothing about a person; strings and objects only under a listed key.
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    // A W3C trace id is 32 hex digits, which the token mask would hide; it identifies a request, never a person.
    else if (key === 'traceId' && typeof value === 'string' && /^[\da-f]{32}$/.test(value)) out[key] = value;
    else out[key] = LOGGABLE_FIELDS.has(key) ? safeValue(value) : REDACTED;
  }
  return out;
}

const SINKS: Record<LogLevel, (line: string) => void> = {
  debug: (line) => console.debug(line),
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

function write(level: LogLevel, msg: string, fields: LogFields): void {
  SINKS[level](JSON.stringify({ timestamp: new Date().toISOString(), level, msg: maskText(msg), ...redactFields(fields) }));
}

export const log = {
  debug: (msg: string, fields: LogFields = {}) => write('debug', msg, fields),
  info: (msg: string, fields: LogFields = {}) => write('info', msg, fields),
  warn: (msg: string, fields: LogFields = {}) => write('warn', msg, fields),
  error: (msg: string, fields: LogFields = {}) => write('error', msg, fields),
};
