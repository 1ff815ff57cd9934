import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../platform/env';
import { silentLogger } from '../../platform/log';
import { noFaults } from '../kit/faults';
import { callSoap, elements, soapFaultOf, startBackend, text, type RunningBackend } from '../../test/support/legacy';
import { seedAccountCurrencies, seedOrders, seedProducts } from '../seed/orders';
import createErpServer from './server';

const NAMESPACE = 'urn:atrium:legacy:erp';
const lamp = seedProducts()[0] as ReturnType<typeof seedProducts>[number];

/** An ERP with its own settings; fulfilment is off unless `pace` is given. */
const erpWith = (pace = 'off', stateDir?: string) =>
  startBackend((options) => createErpServer({ ...options, ...(stateDir ? { stateDir } : {}), env: { ERP_FULFILMENT_PACE: pace } }));

const callAt = (erp: RunningBackend, operation: string, args: Record<string, unknown>) => callSoap(`${erp.url}/erp`, NAMESPACE, operation, args);

/** The feed page an answer carries, every value as the XML text. */
function readPage(xml: string) {
  return {
    changes: elements(xml, 'Change').map((change) => ({
      changeNumber: text(change, 'ChangeNumber'),
      orderId: text(change, 'OrderId'),
      customerId: text(change, 'CustomerId'),
      status: text(change, 'Status'),
      changedAt: text(change, 'ChangedAt'),
    })),
    more: text(xml, 'MoreChanges'),
    last: text(xml, 'LastChange'),
  };
}

const changes = async (erp: RunningBackend, args: Record<string, unknown> = {}) => {
  const answer = await callAt(erp, 'GetOrderChanges', args);
  expect(answer.status).toBe(200);
  return readPage(answer.body);
};

/** Books an order and answers its id. */
async function place(erp: RunningBackend, reference: string, method: 'CARD' | 'INVOICE' = 'INVOICE'): Promise<string> {
  const answer = await callAt(erp, 'PlaceOrder', {
    CustomerId: 'cust-7',
    ExternalReference: reference,
    Line: [{ Sku: lamp.sku, Quantity: 1 }],
    PaymentMethod: method,
  });
  expect(answer.status).toBe(200);
  return text(answer.body, 'OrderId') as string;
}

const advance = async (erp: RunningBackend, orderId: string) => {
  const response = await fetch(`${erp.url}/_admin/orders/${orderId}/advance`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const statusOf = async (erp: RunningBackend, orderId: string) => text((await callAt(erp, 'GetOrdersByIds', { OrderId: orderId })).body, 'Status');

describe('ERP change feed and fulfilment', () => {
  let erp: RunningBackend;
  beforeEach(async () => {
    erp = await erpWith();
  });
  afterEach(() => erp.stop());

  it('answers an empty feed over the seed: the seed is history, not changes', async () => {
    expect(await changes(erp)).toEqual({ changes: [], more: 'false', last: '0' });
  });

  it('numbers every booking and status change from 1, with the order, its customer, the new status and when', async () => {
    const invoice = await place(erp, 'feed-invoice');
    const card = await place(erp, 'feed-card', 'CARD');
    await callAt(erp, 'ConfirmOrder', { OrderId: card, PaymentReference: 'pi_1' });
    await callAt(erp, 'CancelOrder', { OrderId: invoice, Outcome: 'CANCELLED', Reason: 'changed my mind' });
    expect((await advance(erp, card)).body).toEqual({ orderId: card, status: 'SHIPPED' });
    expect((await advance(erp, card)).body).toEqual({ orderId: card, status: 'DELIVERED' });
    const page = await changes(erp);
    expect(page.changes.map(({ changeNumber, orderId, status }) => [changeNumber, orderId, status])).toEqual([
      ['1', invoice, 'PLACED'],
      ['2', card, 'PENDING_PAYMENT'],
      ['3', card, 'CONFIRMED'],
      ['4', invoice, 'CANCELLED'],
      ['5', card, 'SHIPPED'],
      ['6', card, 'DELIVERED'],
    ]);
    expect(page.changes.every((change) => change.customerId === 'cust-7' && !Number.isNaN(Date.parse(change.changedAt ?? '')))).toBe(true);
    expect(page).toMatchObject({ more: 'false', last: '6' });
    // A repeat that changes nothing is no change.
    await callAt(erp, 'ConfirmOrder', { OrderId: card });
    expect((await changes(erp)).last).toBe('6');
  });

  it('pages: MaxChanges at a time after AfterChange, saying whether more follow', async () => {
    for (const n of [1, 2, 3, 4, 5]) await place(erp, `feed-page-${n}`);
    const first = await changes(erp, { MaxChanges: 2 });
    expect(first.changes.map((c) => c.changeNumber)).toEqual(['1', '2']);
    expect(first.more).toBe('true');
    const second = await changes(erp, { AfterChange: 2, MaxChanges: 2 });
    expect(second.changes.map((c) => c.changeNumber)).toEqual(['3', '4']);
    const last = await changes(erp, { AfterChange: 4, MaxChanges: 2 });
    expect(last).toMatchObject({ more: 'false', last: '5' });
    expect(last.changes.map((c) => c.changeNumber)).toEqual(['5']);
    expect(await changes(erp, { AfterChange: 99 })).toEqual({ changes: [], more: 'false', last: '5' });
    expect(await erp.stats()).toMatchObject({ calls: { GetOrderChanges: 4 } });
  });

  it.each([
    ['a negative AfterChange', { AfterChange: -1 }, 'AfterChange'],
    ['an AfterChange that is not a number', { AfterChange: 'soon' }, 'AfterChange'],
    ['MaxChanges 0', { MaxChanges: 0 }, 'MaxChanges'],
    ['MaxChanges 501', { MaxChanges: 501 }, 'MaxChanges'],
    ['a fractional MaxChanges', { MaxChanges: '2.5' }, 'MaxChanges'],
  ])('answers %s with an INVALID_REQUEST Client fault naming it', async (_case, args, name) => {
    const answer = await callAt(erp, 'GetOrderChanges', args);
    expect(answer.status).toBe(500);
    expect(soapFaultOf(answer.body)).toEqual({ faultcode: 'soap:Client', faultstring: expect.stringContaining(name), code: 'INVALID_REQUEST' });
  });

  it('moves an order on at /_admin/orders/<id>/advance: PLACED to SHIPPED to DELIVERED, uncounted', async () => {
    const orderId = await place(erp, 'feed-advance');
    await erp.resetStats();
    expect(await advance(erp, orderId)).toEqual({ status: 200, body: { orderId, status: 'SHIPPED' } });
    expect(await advance(erp, orderId)).toEqual({ status: 200, body: { orderId, status: 'DELIVERED' } });
    expect(await advance(erp, orderId)).toEqual({
      status: 409,
      body: { error: 'not_advanceable', message: `order ${orderId} is DELIVERED: only CONFIRMED, PLACED and SHIPPED orders move on` },
    });
    expect(await erp.stats()).toEqual({ total: 0, calls: {} });
    expect(await statusOf(erp, orderId)).toBe('DELIVERED');
    // An admin call, never faulted: it works while the ERP refuses every business call.
    await erp.setFaults({ down: true });
    expect((await advance(erp, orderId)).status).toBe(409);
  });

  it('refuses to move an unpaid or ended order (409) and names no unknown order (404)', async () => {
    const pending = await place(erp, 'feed-unpaid', 'CARD');
    expect(await advance(erp, pending)).toMatchObject({ status: 409, body: { error: 'not_advanceable' } });
    await callAt(erp, 'CancelOrder', { OrderId: pending, Outcome: 'PAYMENT_FAILED', Reason: 'declined' });
    expect(await advance(erp, pending)).toMatchObject({ status: 409, body: { error: 'not_advanceable' } });
    const read = await fetch(`${erp.url}/_admin/orders/${pending}/advance`);
    expect({ status: read.status, allow: read.headers.get('allow') }).toEqual({ status: 405, allow: 'POST' });
    for (const unknown of ['ord-999999', '%E2%9C%93', 'a'.repeat(101)])
      expect(await advance(erp, unknown)).toMatchObject({ status: 404, body: { error: 'unknown_order' } });
    expect((await changes(erp)).last).toBe('2');
  });

  it('moves a seeded order when asked, which enters the feed', async () => {
    const seeded = seedOrders(seedProducts(), seedAccountCurrencies()).find((order) => order.status === 'PLACED');
    expect(await advance(erp, seeded?.orderId as string)).toMatchObject({ status: 200, body: { status: 'SHIPPED' } });
    expect((await changes(erp)).changes).toEqual([expect.objectContaining({ changeNumber: '1', orderId: seeded?.orderId, status: 'SHIPPED' })]);
  });
});

describe('ERP fulfilment at its pace', () => {
  it('ships and delivers paid and invoice orders one pace per stage, and leaves unpaid ones and the seed alone', async () => {
    const erp = await erpWith('300ms');
    try {
      const invoice = await place(erp, 'pace-invoice');
      const pending = await place(erp, 'pace-card', 'CARD');
      await sleep(1_350);
      expect(await statusOf(erp, invoice)).toBe('DELIVERED');
      expect(await statusOf(erp, pending)).toBe('PENDING_PAYMENT');
      await callAt(erp, 'ConfirmOrder', { OrderId: pending });
      await sleep(1_200);
      expect(await statusOf(erp, pending)).toBe('DELIVERED');
      const statuses = (await changes(erp)).changes.map(({ orderId, status }) => `${orderId === invoice ? 'invoice' : 'card'} ${status}`);
      expect(statuses).toEqual([
        'invoice PLACED',
        'card PENDING_PAYMENT',
        'invoice SHIPPED',
        'invoice DELIVERED',
        'card CONFIRMED',
        'card SHIPPED',
        'card DELIVERED',
      ]);
    } finally {
      await erp.stop();
    }
  });

  it.each(['soon', '50ms', '25h', '-1s'])('refuses ERP_FULFILMENT_PACE=%s, naming the variable', async (pace) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'atrium-erp-'));
    try {
      await expect(createErpServer({ log: silentLogger, faults: noFaults, stateDir, env: { ERP_FULFILMENT_PACE: pace } })).rejects.toThrow(ConfigError);
      await expect(createErpServer({ log: silentLogger, faults: noFaults, stateDir, env: { ERP_FULFILMENT_PACE: pace } })).rejects.toThrow(
        /ERP_FULFILMENT_PACE/,
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('keeps the feed across a restart: the same changes under the same numbers, and the next one numbered after them', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'atrium-erp-'));
    try {
      const first = await erpWith('off', stateDir);
      const orderId = await place(first, 'restart-feed');
      await advance(first, orderId);
      const before = await changes(first);
      await first.stop();
      const second = await erpWith('off', stateDir);
      try {
        expect(await changes(second)).toEqual(before);
        expect(await statusOf(second, orderId)).toBe('SHIPPED');
        await advance(second, orderId);
        expect((await changes(second, { AfterChange: 2 })).changes).toEqual([expect.objectContaining({ changeNumber: '3', orderId, status: 'DELIVERED' })]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
