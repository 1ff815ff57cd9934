/** Money travels as decimal strings and is computed in integer minor units (cents), never as floats. */

const DECIMAL = /^(-?)(\d{1,15})(?:\.(\d{1,2}))?$/;

/** "12.3" → 1230. Undefined when the text is not a decimal with at most two fraction digits. */
export function parseCents(text: string): number | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -cents : cents;
}

/** 1230 → "12.30". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
