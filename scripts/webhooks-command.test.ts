import { silentLogger } from '../platform/log';
import { EventLog } from '../platform/events/event-log';
import { EventRecorder } from '../platform/events/sequencer';
import { WebhookStore } from '../platform/events/webhooks/store';
import { describeWithDatabase } from '../test/support/database';
import { throwawayDatabase, type ThrowawayDatabase } from './throwaway-database';
import { webhooksCommand, type WebhooksCommandOptions } from './webhooks-command';

describeWithDatabase('npm run webhooks', () => {
  let database: ThrowawayDatabase;
  let options: WebhooksCommandOptions;
  beforeAll(async () => {
    database = await throwawayDatabase();
    options = { databaseUrl: database.url, maxEndpoints: 2, production: false };
  });
  afterAll(() => database?.drop());
  afterEach(async () => {
    const store = await WebhookStore.open(database.url, silentLogger);
    for (const endpoint of await store.endpoints()) await store.remove(endpoint.id);
    await store.close();
  });

  it('registers an endpoint from the head of the log on, printing its secret once, then lists and removes it', async () => {
    const eventLog = await EventLog.open(database.url, silentLogger);
    const recorder = new EventRecorder(eventLog, silentLogger);
    await recorder.record([
      { type: 'order.updated', key: 'ord-1', customerId: 'cust-1', attributes: { orderId: 'ord-1', status: 'SHIPPED' }, source: 'test:1' },
    ]);
    recorder.close();
    await eventLog.close();

    const registered = await webhooksCommand(['register', '--url', 'http://127.0.0.1:9/hooks', '--events', 'order.updated, payment.updated'], options);
    expect(registered.code).toBe(0);
    const secret = registered.stdout.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const id = /registered endpoint (whe_[0-9a-f]{16}) for order\.updated,payment\.updated from event 1 on/.exec(registered.stderr)?.[1] as string;
    expect(id).toBeDefined();

    const listed = await webhooksCommand(['list'], options);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\thttp://127\\.0\\.0\\.1:9/hooks\torder\\.updated,payment\\.updated\tafter 1\t`));
    expect(listed.stdout).not.toContain(secret);

    expect(await webhooksCommand(['remove', id], options)).toMatchObject({ code: 0, stdout: `removed ${id} and its deliveries\n` });
    expect(await webhooksCommand(['list'], options)).toMatchObject({ code: 0, stdout: '', stderr: 'no endpoints\n' });
  });

  it('takes https endpoints in production', async () => {
    const registered = await webhooksCommand(['register', '--url', 'https://partner.example.com/atrium', '--events', 'ticket.updated'], {
      ...options,
      production: true,
    });
    expect(registered.code).toBe(0);
  });

  it('refuses more endpoints than WEBHOOK_MAX_ENDPOINTS', async () => {
    for (let n = 0; n < 2; n += 1)
      expect((await webhooksCommand(['register', '--url', 'https://a.example/h', '--events', 'order.updated'], options)).code).toBe(0);
    const third = await webhooksCommand(['register', '--url', 'https://a.example/h', '--events', 'order.updated'], options);
    expect(third).toMatchObject({ code: 2, stdout: '' });
    expect(third.stderr).toMatch(/2 endpoints are registered already \(WEBHOOK_MAX_ENDPOINTS\)/);
  });

  it.each<[string, string[], RegExp, boolean?]>([
    ['no url', ['register', '--events', 'order.updated'], /--url is required/],
    ['a relative url', ['register', '--url', 'partner/hooks', '--events', 'order.updated'], /--url must be an absolute URL/],
    ['an ftp url', ['register', '--url', 'ftp://partner.example/hooks', '--events', 'order.updated'], /--url must be https:\/\/, or http:\/\/ to localhost/],
    [
      'plain http to another host',
      ['register', '--url', 'http://partner.example/hooks', '--events', 'order.updated'],
      /--url must be https:\/\/, or http:\/\/ to localhost/,
    ],
    [
      'plain http to loopback in production',
      ['register', '--url', 'http://127.0.0.1:9/hooks', '--events', 'order.updated'],
      /--url must be https:\/\/ in production/,
      true,
    ],
    [
      'a url with credentials',
      ['register', '--url', 'https://user:pw@partner.example/hooks', '--events', 'order.updated'],
      /must not carry a user name or password/,
    ],
    [
      'an unknown event type',
      ['register', '--url', 'https://partner.example/hooks', '--events', 'order.updated,customer.deleted'],
      /unknown event type\(s\): customer\.deleted/,
    ],
    ['no event types', ['register', '--url', 'https://partner.example/hooks', '--events', ' , '], /--events must name at least one of order\.updated/],
    ['an unknown endpoint', ['remove', 'whe_nope'], /no endpoint with id whe_nope/],
    ['remove without an id', ['remove'], /an endpoint id is required/],
    ['an unknown delivery', ['replay', 'whe_nope:1'], /no delivery with id whe_nope:1/],
    ['replay with neither id nor --all', ['replay'], /replay takes a delivery id or --all/],
    ['replay with both', ['replay', 'x', '--all'], /replay takes a delivery id or --all/],
    ['a bad limit', ['dead', '--limit', '0'], /--limit must be a whole number/],
    ['an unknown command', ['delete'], /unknown command delete/],
    ['an unknown option', ['list', '--force'], /Unknown option '--force'/],
  ])('refuses %s with exit code 2, the usage, and nothing registered', async (_case, args, message, production = false) => {
    const result = await webhooksCommand(args, { ...options, production });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage:');
    expect((await webhooksCommand(['list'], options)).stdout).toBe('');
  });

  it('lists no dead deliveries, and replays none, when there are none', async () => {
    expect(await webhooksCommand(['dead'], options)).toMatchObject({ code: 0, stdout: '', stderr: 'no dead deliveries\n' });
    expect(await webhooksCommand(['replay', '--all'], options)).toMatchObject({ code: 0, stdout: '', stderr: 'no dead deliveries\n' });
  });
});
