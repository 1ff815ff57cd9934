import { ConfigError } from '../../env';
import { readEventsServiceSettings } from './settings';

describe('the events service settings', () => {
  it('default to a second of backoff doubling up to an hour, for a day', () => {
    expect(readEventsServiceSettings({}).delivery).toEqual({
      backoffMs: 1_000,
      backoffMaxMs: 3_600_000,
      retryForMs: 86_400_000,
      timeoutMs: 10_000,
      endpointConcurrency: 4,
    });
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ WEBHOOK_BACKOFF_MS: 'soon' }, /WEBHOOK_BACKOFF_MS: must be a whole number from 1 to 3600000/],
    [{ WEBHOOK_RETRY_FOR_MS: '0' }, /WEBHOOK_RETRY_FOR_MS: must be a whole number/],
    [{ WEBHOOK_ENDPOINT_CONCURRENCY: '0' }, /WEBHOOK_ENDPOINT_CONCURRENCY: must be a whole number from 1 to 100/],
    [{ EVENTS_PORT: '70000' }, /EVENTS_PORT: must be a port number/],
    [{ DATABASE_URL: 'mysql://db' }, /DATABASE_URL: must be a postgres:\/\/ URL/],
    [{ WEBHOOK_BACKOFF_MS: '5000', WEBHOOK_BACKOFF_MAX_MS: '1000' }, /WEBHOOK_BACKOFF_MAX_MS: must be at least WEBHOOK_BACKOFF_MS/],
  ])('refuse %j, naming the variable', (env, message) => {
    expect(() => readEventsServiceSettings(env)).toThrow(ConfigError);
    expect(() => readEventsServiceSettings(env)).toThrow(message);
  });
});
