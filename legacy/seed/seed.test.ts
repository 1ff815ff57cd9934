import { seedCustomers } from './customers';
import { ORDER_COUNT, orderTotalCents, seedAccountCurrencies, seedOrders, seedProducts } from './orders';
import { CHANNELS, seedPreferences } from './preferences';
import { CUSTOMER_COUNT, customerNumber, isKnownCustomer, SeededRandom } from './random';
import { seedTickets, TICKET_COUNT } from './tickets';

/** The date-time form every backend stores: ISO 8601 in UTC, whole seconds. */
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const allCustomerIds = Array.from({ length: 1000 }, (_, i) => `cust-${i + 1}`);
const seededOrders = () => seedOrders(seedProducts(), seedAccountCurrencies());

describe('SeededRandom', () => {
  const draw = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 20 }, () => random.next());
  };

  it('gives the same sequence for the same seed and another for another seed', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const n of draw(7)) expect(n >= 0 && n < 1).toBe(true);
  });

  it('keeps int, pick and dateBetween within their bounds', () => {
    const random = new SeededRandom(1);
    const ints = Array.from({ length: 2000 }, () => random.int(3, 6));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5, 6]));
    expect(['a', 'b']).toContain(random.pick(['a', 'b']));
    for (let i = 0; i < 200; i++) {
      const date = random.dateBetween('2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z');
      expect(date).toMatch(ISO_SECONDS);
      expect(date >= '2020-01-01T00:00:00Z' && date < '2020-01-02T00:00:00Z').toBe(true);
    }
  });
});

describe('customer ids', () => {
  it.each([
    ['cust-1', 1, true],
    ['cust-1000', 1000, true],
    ['cust-1001', 1001, false],
    ['cust-0', undefined, false],
    ['cust-01', undefined, false],
    ['cust-', undefined, false],
    ['CUST-1', undefined, false],
    [' cust-1', undefined, false],
    ['cust-1234567890', undefined, false],
  ])('%s: number %s, known %s', (id, number, known) => {
    expect(customerNumber(id)).toBe(number);
    expect(isKnownCustomer(id)).toBe(known);
  });
});

describe('seed data', () => {
  it('has 1,000 customers cust-1 … cust-1000, identical on every call', () => {
    const customers = seedCustomers();
    expect(CUSTOMER_COUNT).toBe(1000);
    expect(customers.map((c) => c.id)).toEqual(allCustomerIds);
    expect(seedCustomers()).toEqual(customers);
    // The README's example profile: a change here changes every documented answer.
    expect(customers[0]).toMatchObject({ id: 'cust-1', firstName: 'Ada', lastName: 'Quinn', email: 'ada.quinn.1@example.com' });
  });

  it('gives every customer a unique email, a known tier and a well-formed creation date', () => {
    const customers = seedCustomers();
    expect(new Set(customers.map((c) => c.email)).size).toBe(1000);
    const malformed = customers.filter(
      (c) =>
        !['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'].includes(c.tier) ||
        !/^[a-z.]+\.\d+@example\.com$/.test(c.email) ||
        !ISO_SECONDS.test(c.createdAt) ||
        !/^[A-Z]{2}$/.test(c.address.country),
    );
    expect(malformed).toEqual([]);
  });

  it('has at least 5,000 orders with distinct ids, all of seeded customers, identical on every call', () => {
    const orders = seededOrders();
    expect(ORDER_COUNT).toBeGreaterThanOrEqual(5000);
    expect(orders).toHaveLength(ORDER_COUNT);
    expect(orders.map((o) => o.orderId)).toEqual(Array.from({ length: ORDER_COUNT }, (_, i) => `ord-${i + 1}`));
    expect(orders.every((o) => isKnownCustomer(o.customerId))).toBe(true);
    expect(new Set(orders.map((o) => o.customerId)).size).toBeGreaterThan(900);
    // Compared as text: a deep toEqual of 6,000 orders takes half a second.
    expect(JSON.stringify(seededOrders())).toBe(JSON.stringify(orders));
    expect(orders[0]).toMatchObject({ orderId: 'ord-1', customerId: 'cust-345', placedAt: '2024-03-22T12:26:46Z' });
    // 1 × 498.65 + 3 × 299.37 + 3 × 493.75
    expect(orderTotalCents(orders[0] as (typeof orders)[number])).toBe(287_801);
  });

  it('builds orders from the catalogue at catalogue prices, in the account currency, with consistent payments', () => {
    const products = new Map(seedProducts().map((p) => [p.sku, p]));
    const currencies = seedAccountCurrencies();
    expect(products.size).toBe(20);
    // Collected rather than asserted one by one: 6,000 orders × a dozen expectations is slow.
    const problems: string[] = [];
    for (const order of seededOrders()) {
      const problem = (what: string) => problems.push(`${order.orderId}: ${what}`);
      if (order.currency !== currencies.get(order.customerId)) problem('not in the account currency');
      if (!ISO_SECONDS.test(order.placedAt)) problem('placedAt malformed');
      if (order.lines.length === 0) problem('no lines');
      order.lines.forEach((line, i) => {
        if (line.lineNumber !== i + 1) problem(`line ${i + 1} numbered ${line.lineNumber}`);
        if (line.unitPriceCents !== products.get(line.sku)?.unitPriceCents) problem(`line ${i + 1} not at the catalogue price`);
        if (!(line.quantity >= 1)) problem(`line ${i + 1} quantity ${line.quantity}`);
      });
      if ((order.payment.method === 'CARD') !== (order.payment.cardNumber !== undefined)) problem('card number without card payment or vice versa');
      if (order.status === 'PLACED' && order.payment.status !== 'PENDING') problem('placed but not pending');
      if (order.status === 'CANCELLED' && !['REFUNDED', 'FAILED'].includes(order.payment.status)) problem('cancelled but paid');
    }
    expect(problems).toEqual([]);
  });

  it('has at least 2,000 tickets with distinct ids, all of seeded customers, identical on every call', () => {
    const tickets = seedTickets();
    expect(TICKET_COUNT).toBeGreaterThanOrEqual(2000);
    expect(tickets).toHaveLength(TICKET_COUNT);
    expect(new Set(tickets.map((t) => t.ticketId)).size).toBe(TICKET_COUNT);
    expect(tickets.every((t) => isKnownCustomer(t.customerId) && ISO_SECONDS.test(t.openedAt))).toBe(true);
    expect(tickets.some((t) => t.externalReference !== undefined)).toBe(false);
    expect(seedTickets()).toEqual(tickets);
    expect(tickets[0]).toMatchObject({ ticketId: 'tkt-1', customerId: 'cust-201', subject: 'Payment declined' });
  });

  it('has preferences for every customer, each valid by the preference service’s own rules, identical on every call', () => {
    const preferences = seedPreferences();
    expect(preferences.map((p) => p.customerId)).toEqual(allCustomerIds);
    const invalid = preferences.filter(
      (p) =>
        !/^[a-z]{2}(-[A-Z]{2})?$/.test(p.language) ||
        !p.channels.includes('email') ||
        new Set(p.channels).size !== p.channels.length ||
        !p.channels.every((channel) => CHANNELS.includes(channel)) ||
        !ISO_SECONDS.test(p.updatedAt),
    );
    expect(invalid).toEqual([]);
    expect(seedPreferences()).toEqual(preferences);
  });
});
