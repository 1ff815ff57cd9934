import { captureLogger } from '../test/support/capture-logger';
import { withCorrelation } from './request-context';

describe('service logs', () => {
  it('redact credentials, variables and personal data wherever they sit', () => {
    const { log, lines } = captureLogger('gateway');
    log.info({
      authorization: 'Bearer eyJhbGciOi.secret.sig',
      headers: { authorization: 'Bearer abc', 'x-api-key': 'atr_12345678_secret' },
      variables: { id: 'cust-1', email: 'ada@example.com' },
      customer: { email: 'ada@example.com', phone: '+44 20 7946 0000', address: { city: 'London' } },
      payment: { cardNumber: '4111111111111111' },
    });
    const text = JSON.stringify(lines);
    for (const secret of ['eyJhbGciOi', 'Bearer abc', 'atr_12345678', 'ada@example.com', '7946', 'London', '4111111111111111'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ variables: '[redacted]', customer: { email: '[redacted]' } });
  });

  it('carry the request id and trace context of the request being served', () => {
    const { log, lines } = captureLogger('orders');
    withCorrelation({ requestId: 'req-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, () => log.info('inside'));
    log.info('outside');
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['inside', 'req-1'],
      ['outside', undefined],
    ]);
  });
});
