import { createHmac } from 'node:crypto';
import { checkWebhookSignature, signWebhook } from './webhook-signature';

const SECRET = 'a-secret-of-the-helpdesk-for-tests';
const BODY = '{"id":"evt_1"}';
const NOW = 1_800_000_000;
const check = (header: string | undefined, body = BODY, secret = SECRET) => checkWebhookSignature(header, body, secret, { toleranceSeconds: 300, now: NOW });

describe('webhook signatures', () => {
  it('signs as Stripe does: t=<unix>,v1=<hex HMAC-SHA256 over "<t>.<body>">', () => {
    const v1 = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, BODY, NOW)).toBe(`t=${NOW},v1=${v1}`);
  });

  it('accepts its own signature, also among other v1 values (a secret being rolled) and up to 300 s either side', () => {
    expect(check(signWebhook(SECRET, BODY, NOW))).toBeUndefined();
    expect(check(signWebhook(SECRET, BODY, NOW - 300))).toBeUndefined();
    expect(check(`${signWebhook(SECRET, BODY, NOW)},v1=${'0'.repeat(64)}`)).toBeUndefined();
  });

  it.each([
    ['no header', undefined, 'missing_signature'],
    ['an empty header', '', 'missing_signature'],
    ['no timestamp', `v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['two timestamps', `t=1,t=2,v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['no v1', `t=${NOW}`, 'malformed_signature'],
    ['a v1 that is not hex SHA-256', `t=${NOW},v1=zz`, 'malformed_signature'],
    ['a timestamp that is not a number', `t=soon,v1=${'a'.repeat(64)}`, 'malformed_signature'],
  ])('refuses %s', (_case, header, problem) => {
    expect(check(header)).toBe(problem);
  });

  it('refuses a tampered body, another secret and a signature older than the tolerance', () => {
    const header = signWebhook(SECRET, BODY, NOW);
    expect(check(header, '{"id":"evt_2"}')).toBe('invalid_signature');
    expect(check(header, BODY, 'someone-else')).toBe('invalid_signature');
    expect(check(signWebhook(SECRET, BODY, NOW - 301))).toBe('stale_signature');
    expect(check(signWebhook(SECRET, BODY, NOW + 301))).toBe('stale_signature');
  });
});
