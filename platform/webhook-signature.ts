import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures as Stripe writes them: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. Signing the
 * timestamp with the body lets a receiver refuse an old delivery replayed by someone who caught it.
 */
export const signWebhook = (secret: string, body: string, timestamp: number): string => `t=${timestamp},v1=${hmac(secret, `${timestamp}.${body}`)}`;

/** Why a signature was refused, as the receiver's error code says it. */
export type SignatureProblem = 'missing_signature' | 'malformed_signature' | 'stale_signature' | 'invalid_signature';

const hmac = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('hex');
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks a `t=…,v1=…` header over the raw body: answers undefined when one `v1` matches (compared in constant time) and
 * the timestamp is within `toleranceSeconds` of `now`, else the problem. Several `v1` are accepted, as while a secret
 * is rolled.
 */
export function checkWebhookSignature(
  header: string | undefined,
  body: string,
  secret: string,
  options: { toleranceSeconds: number; now?: number },
): SignatureProblem | undefined {
  if (header === undefined || header === '') return 'missing_signature';
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([name]) => name === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([name]) => name === 'v1').map(([, value]) => value ?? '');
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0] as string) || signatures.length === 0) return 'malformed_signature';
  if (!signatures.every((signature) => HEX_SHA256.test(signature))) return 'malformed_signature';
  const timestamp = Number(timestamps[0]);
  const expected = Buffer.from(hmac(secret, `${timestamp}.${body}`), 'hex');
  if (!signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected))) return 'invalid_signature';
  // Checked after the signature, so a forged header learns nothing from the clock.
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > options.toleranceSeconds) return 'stale_signature';
  return undefined;
}

/** The header the helpdesk signs its webhooks in, with a `t=…,v1=…` value from `signWebhook`. */
export const HELPDESK_SIGNATURE_HEADER = 'x-helpdesk-signature';

/** The helpdesk's webhook secret outside production: its stand-in signs with it and the support-tickets subgraph checks it. */
export const DEVELOPMENT_HELPDESK_SECRET = 'whsec_atrium_helpdesk_development_only';
