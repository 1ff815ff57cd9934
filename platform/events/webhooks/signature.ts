import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers every delivery carries. */
export const SIGNATURE_HEADER = 'atrium-signature';
export const EVENT_ID_HEADER = 'atrium-event-id';
export const EVENT_TYPE_HEADER = 'atrium-event-type';

/** How far a signature's timestamp may be from the receiver's clock: older deliveries are refused as replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: number, body: string): string => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its webhooks. */
export function signAtriumPayload(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a partner runs on each delivery: true only when `header` (Atrium-Signature) signs exactly `body` (the raw
 * bytes, before any JSON parsing) with `secret`, and its timestamp is within `toleranceSeconds` of `nowSeconds`.
 * Compared in constant time; any `v1` of several (a secret being rotated) may match.
 */
export function verifyAtriumSignature(
  body: string,
  header: string | undefined,
  secret: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([name]) => name === 't')?.[1]);
  if (!Number.isInteger(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return parts
    .filter(([name, value]) => name === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value as string, 'hex'), expected));
}
