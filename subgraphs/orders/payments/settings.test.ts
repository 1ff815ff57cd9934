import { readSettings, settingDefaults } from '../../../platform/env';
import { cronOf } from './reconcile';
import { paymentSettings } from './settings';

describe('payment workflow settings', () => {
  it('read durations in seconds or minutes, and schedule reconciliation on the clock', () => {
    const defaults = settingDefaults(paymentSettings);
    expect(defaults).toMatchObject({ reconcileEveryMs: 60_000, pendingDeadlineMs: 15 * 60_000, placeOrderWaitMs: 5_000, stepAttempts: 8 });
    expect(cronOf(readSettings(paymentSettings, { RECONCILE_EVERY: '30s' }).reconcileEveryMs)).toBe('*/30 * * * * *');
    expect(cronOf(readSettings(paymentSettings, { RECONCILE_EVERY: '15m' }).reconcileEveryMs)).toBe('0 */15 * * * *');
  });

  it.each([
    ['RECONCILE_EVERY', '45s', /divide a minute or an hour/],
    ['RECONCILE_EVERY', '7m', /divide a minute or an hour/],
    ['RECONCILE_EVERY', 'hourly', /duration such as 30s/],
    ['PAYMENT_PENDING_DEADLINE', '0s', /from 1s/],
    ['DATABASE_URL', 'mysql://db/atrium', /postgres:\/\/ URL/],
    ['PAYMENTS_API_KEY', 'pk_test_public', /secret or restricted key/],
    ['PAYMENTS_WEBHOOK_SECRET', 'secret', /whsec_/],
    ['WORKFLOW_FAULT_POINT', 'whenever', /after:<step>/],
  ])('refuses %s=%s, naming the variable', (variable, value, message) => {
    expect(() => readSettings(paymentSettings, { [variable]: value })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(new RegExp(`${variable}.*${message.source}`)) }),
    );
  });
});
