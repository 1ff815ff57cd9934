import type { Browser } from 'playwright-core';
import { readGatewayConfig } from '../../gateway/config';
import { ConfigError } from '../../platform/env';
import type { RunningService } from '../../platform/run';
import { PROFILE_QUERY } from '../support/operations';
import { artifactPath, describeWithBrowser, launchBrowser } from '../support/browser';
import { EventLog } from '../../platform/events/event-log';
import { EventRecorder } from '../../platform/events/sequencer';
import { silentLogger } from '../../platform/log';
import { startStack, type Stack } from '../support/stack';

const root = (gateway: RunningService | Stack) => ('gatewayUrl' in gateway ? gateway.gatewayUrl : gateway.url).replace(/\/graphql$/, '/');
const openPage = (url: string) => fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' });

/** The headers the page pre-fills in GraphiQL's headers editor. */
function prefilledHeaders(html: string): Record<string, string> {
  const match = /"headers":("(?:[^"\\]|\\.)*")/.exec(html.slice(-20_000));
  if (!match) throw new Error('no headers option in the page');
  return JSON.parse(JSON.parse(match[1] as string) as string) as Record<string, string>;
}

describe('the in-browser explorer', () => {
  let stack: Stack;
  let withToken: RunningService;
  beforeAll(async () => {
    stack = await startStack();
    withToken = await stack.startGateway({ EXPLORER_TOKEN_URL: stack.identityProvider.tokenUrl });
  });
  afterAll(() => stack.stop());

  it('serves GraphiQL at / and to browsers at /graphql, self-contained and forbidden to load anything from elsewhere', async () => {
    for (const url of [root(stack), stack.gatewayUrl]) {
      const response = await openPage(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*connect-src 'self'/);
      const html = await response.text();
      expect(html).toContain('Atrium GraphQL explorer');
      expect(html).toContain('query Profile($id: ID!)');
      expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    }
  });

  it('leaves GraphQL requests that do not ask for a page to GraphQL', async () => {
    const response = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { authorization: `Bearer ${await stack.token({ role: 'service' })}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('pre-fills a working development token only when the embedded issuer is configured', async () => {
    expect(prefilledHeaders(await (await openPage(root(stack))).text())).toEqual({});
    const headers = prefilledHeaders(await (await openPage(root(withToken))).text());
    expect(headers.authorization).toMatch(/^Bearer ey/);
    const result = await stack.query(PROFILE_QUERY, { id: 'cust-1' }, { authorization: headers.authorization as string });
    expect(result.errors).toBeUndefined();
    expect(result.data?.customer).toMatchObject({ id: 'cust-1' });
    // The token is the customer's own: another customer's profile stays closed.
    const other = await stack.query(PROFILE_QUERY, { id: 'cust-2' }, { authorization: headers.authorization as string });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('is off in production, and on there only when EXPLORER says so, never with a development token', async () => {
    const production = await stack.startGateway({ NODE_ENV: 'production' });
    expect((await openPage(root(production))).status).toBe(404);
    const enabled = await stack.startGateway({ NODE_ENV: 'production', EXPLORER: 'graphiql' });
    const page = await openPage(root(enabled));
    expect(page.status).toBe(200);
    expect(prefilledHeaders(await page.text())).toEqual({});
    expect(() => readGatewayConfig({ NODE_ENV: 'production', EXPLORER_TOKEN_URL: stack.identityProvider.tokenUrl })).toThrow(
      /EXPLORER_TOKEN_URL: pre-filled development tokens are refused in production/,
    );
  });

  it('offers Apollo Sandbox as an opt-in, and can be switched off', async () => {
    const sandbox = await stack.startGateway({ EXPLORER: 'sandbox' });
    const redirect = await openPage(root(sandbox));
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/graphql');
    expect(await (await openPage(sandbox.url)).text()).toContain('embeddable-sandbox.cdn.apollographql.com');

    const off = await stack.startGateway({ EXPLORER: 'off' });
    expect((await openPage(root(off))).status).toBe(404);
    expect(() => readGatewayConfig({ EXPLORER: 'playground' })).toThrow(ConfigError);
    expect(() => readGatewayConfig({ EXPLORER: 'playground' })).toThrow(/EXPLORER: must be graphiql, sandbox or off/);
  });

  describeWithBrowser('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());

    it('runs the Profile query with the pre-filled token and shows the customer, with no request leaving the machine', async () => {
      const expected = (await stack.query(PROFILE_QUERY, { id: 'cust-1' })).data?.customer as { name: string };
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (!['blob:', 'data:'].includes(url.protocol) && url.hostname !== '127.0.0.1') elsewhere.push(request.url());
      });
      try {
        await page.goto(root(withToken));
        await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
        const result = page.locator('.graphiql-response');
        await result.getByText(expected.name).waitFor({ timeout: 20_000 });
        expect(await result.innerText()).toMatch(/"id":\s+"cust-1"/);
        expect(elsewhere).toEqual([]);
      } finally {
        await page.screenshot({ path: artifactPath('explorer-profile.png') });
        await page.close();
      }
    });

    it('runs the OrderUpdates subscription in its second tab over SSE with the pre-filled token and shows an event as it happens', async () => {
      const page = await browser.newPage();
      const log = await EventLog.open(stack.databaseUrl, silentLogger);
      const recorder = new EventRecorder(log, silentLogger);
      try {
        await page.goto(root(withToken));
        await page.getByText('OrderUpdates').first().click({ timeout: 20_000 });
        await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const { data } = await stack.query('{ customer(id: "cust-1") { orders { id } } }');
        const orderId = (data as { customer: { orders: { id: string }[] } }).customer.orders[0]?.id as string;
        await recorder.record([{ type: 'order.updated', key: orderId, customerId: 'cust-1', attributes: { orderId }, source: `explorer:${Date.now()}` }]);
        const result = page.locator('.graphiql-response');
        await result.getByText('"orderUpdated"').waitFor({ timeout: 20_000 });
        expect(await result.innerText()).toMatch(new RegExp(`"id":\\s+"${orderId}"`));
      } finally {
        await page.screenshot({ path: artifactPath('explorer-subscription.png') });
        await page.close();
        recorder.close();
        await log.close();
      }
    });
  });
});
