import { signAtriumPayload, verifyAtriumSignature } from './signature';

const secret = 'whsec_partner_test';
const body = JSON.stringify({ id: '7', type: 'order.updated', key: 'ord-1', customerId: 'cust-1', attributes: { orderId: 'ord-1', status: 'SHIPPED' } });

describe('verifyAtriumSignature', () => {
  const now = 1_800_000_000;

  it('accepts a body signed with the secret within five minutes', () => {
    expect(verifyAtriumSignature(body, signAtriumPayload(secret, body, now), secret, { nowSeconds: now + 299 })).toBe(true);
  });

  it.each<[string, () => boolean]>([
    ['a tampered body', () => verifyAtriumSignature(body.replace('SHIPPED', 'CANCELLED'), signAtriumPayload(secret, body, now), secret, { nowSeconds: now })],
    ['an old timestamp replayed', () => verifyAtriumSignature(body, signAtriumPayload(secret, body, now), secret, { nowSeconds: now + 301 })],
    ['a timestamp from the future', () => verifyAtriumSignature(body, signAtriumPayload(secret, body, now + 301), secret, { nowSeconds: now })],
    ['another secret', () => verifyAtriumSignature(body, signAtriumPayload('whsec_other', body, now), secret, { nowSeconds: now })],
    [
      'a timestamp changed after signing',
      () => verifyAtriumSignature(body, signAtriumPayload(secret, body, now).replace(`t=${now}`, `t=${now + 1}`), secret, { nowSeconds: now }),
    ],
    ['no header', () => verifyAtriumSignature(body, undefined, secret)],
    ['a header without v1', () => verifyAtriumSignature(body, `t=${now}`, secret, { nowSeconds: now })],
    ['a malformed v1', () => verifyAtriumSignature(body, `t=${now},v1=zz`, secret, { nowSeconds: now })],
  ])('refuses %s', (_case, check) => {
    expect(check()).toBe(false);
  });

  it('accepts any one matching v1 of several (a rotated secret)', () => {
    const header = `${signAtriumPayload('whsec_old', body, now)},v1=${signAtriumPayload(secret, body, now).split('v1=')[1]}`;
    expect(verifyAtriumSignature(body, header, secret, { nowSeconds: now })).toBe(true);
  });
});
