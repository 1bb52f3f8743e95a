/**
 * Token amounts as exact decimals. Money never goes through a float: amounts are base units (bigint) inside a
 * process and decimal strings of base units wherever they cross Temporal or MongoDB.
 */
const DECIMAL = /^\d{1,30}(\.\d+)?$/;

/** "1.5" with 6 decimals is 1500000n; more fractional digits than the token has is an error, never rounded. */
export function parseTokenAmount(text: string, decimals: number): bigint {
  if (!DECIMAL.test(text)) throw new Error(`'${text}' is not a decimal amount (digits, optionally a point and more digits)`);
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > decimals) throw new Error(`'${text}' has ${fraction.length} decimals; the token has ${decimals}`);
  return BigInt(whole!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/** 1500000n with 6 decimals is "1.5". */
export function formatTokenAmount(units: bigint, decimals: number): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const fraction = (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${sign}${abs / scale}${fraction ? `.${fraction}` : ''}`;
}
