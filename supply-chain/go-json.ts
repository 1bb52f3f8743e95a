/**
 * JSON bytes as Go's encoding/json writes them, because cosign signs the
 * bytes it marshals and a verifier compares them: a `Map` encodes in its
 * insertion order, as a Go struct does; a plain object encodes with its keys
 * sorted byte-wise, as a Go map does (JSON.stringify would put integer-like
 * keys first). Strings escape `<`, `>`, `&`, U+2028 and U+2029 as \uXXXX, as
 * Go's HTML-safe default does. Numbers are float64 in both languages and
 * print the same way for finite values (Go's exponent form matches JS's).
 */
export type GoJson = null | boolean | number | string | GoJson[] | { [key: string]: GoJson } | Map<string, GoJson>;

/** Go's zero time.Time as encoding/json writes it: what go-containerregistry and cosign put where no date is set. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}

/** Go sorts map keys by their UTF-8 bytes, which differs from UTF-16 order above U+FFFF. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function goJson(value: GoJson): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Go's encoding/json cannot encode ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const entries = value instanceof Map ? [...value] : Object.keys(value).sort(byteOrder).map((k) => [k, value[k]] as const);
  return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
}

/** A JSON value decoded into Go's `interface{}` (maps, slices, float64), from whatever JSON.parse would accept. */
export function asGoValue(value: unknown, where: string): GoJson {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${where}: ${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => asGoValue(v, `${where}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, GoJson> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = asGoValue(v, `${where}.${k}`);
    return out;
  }
  // Dates, class instances and undefined would change shape through JSON.stringify; callers pass plain JSON.
  throw new Error(`${where}: not plain JSON (${Object.prototype.toString.call(value)})`);
}
