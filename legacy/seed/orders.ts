import { CUSTOMER_COUNT, customerId, SeededRandom } from './random';

/** An item the ERP sells; prices in minor units (cents) to keep money exact. */
export interface Product {
  sku: string;
  description: string;
  unitPriceCents: number;
}

export interface ErpOrderLine {
  lineNumber: number;
  sku: string;
  description: string;
  quantity: number;
  unitPriceCents: number;
}

/**
 * Where an order stands. A card order waits in PENDING_PAYMENT until its payment is authorised (CONFIRMED) or fails
 * (PAYMENT_FAILED); an invoice order is PLACED at once. The seed has only PLACED, SHIPPED, DELIVERED and CANCELLED.
 */
export const ORDER_STATUSES = ['PENDING_PAYMENT', 'CONFIRMED', 'PLACED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'PAYMENT_FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PaymentStatus = 'PENDING' | 'PAID' | 'REFUNDED' | 'FAILED';
export type PaymentMethod = 'CARD' | 'INVOICE';

/** An order as the ERP stores it. The ERP keeps full card numbers: masking them is the API's job. */
export interface ErpOrder {
  orderId: string;
  customerId: string;
  externalReference?: string;
  status: OrderStatus;
  placedAt: string;
  currency: string;
  lines: ErpOrderLine[];
  payment: { status: PaymentStatus; method: PaymentMethod; cardNumber?: string };
  /** The payment provider's reference (a PaymentIntent id), recorded when the order is confirmed. */
  paymentReference?: string;
  /** Why the order was cancelled or its payment failed, as the caller gave it. */
  statusReason?: string;
}

export const ORDER_COUNT = 6000;

const PRODUCT_NAMES = [
  'Desk lamp',
  'Office chair',
  'Standing desk',
  'Monitor arm',
  'Keyboard',
  'Mouse',
  'Headset',
  'Webcam',
  'Notebook',
  'Pen set',
  'Cable kit',
  'Docking station',
  'Laptop stand',
  'Whiteboard',
  'Filing cabinet',
  'Coffee machine',
  'Water bottle',
  'Backpack',
  'Desk mat',
  'Plant pot',
];
/** Well-known test card numbers (they pass Luhn checks but charge nothing). */
const TEST_CARDS = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4012888888881881'];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'GBP', 'USD'];

/** The ERP's catalogue, identical on every start. */
export function seedProducts(): Product[] {
  const random = new SeededRandom(0x5eed01);
  return PRODUCT_NAMES.map((description, i) => ({
    sku: `SKU-${String(i + 1).padStart(4, '0')}`,
    description,
    unitPriceCents: random.int(199, 49_999),
  }));
}

/** Each ERP customer account's billing currency. */
export function seedAccountCurrencies(): Map<string, string> {
  const random = new SeededRandom(0x5eed02);
  const currencies = new Map<string, string>();
  for (let n = 1; n <= CUSTOMER_COUNT; n++) currencies.set(customerId(n), random.pick(CURRENCIES));
  return currencies;
}

/** The ERP's 6,000 historical orders, identical on every start. */
export function seedOrders(products: Product[], currencies: Map<string, string>): ErpOrder[] {
  const random = new SeededRandom(0x5eed03);
  const orders: ErpOrder[] = [];
  for (let n = 1; n <= ORDER_COUNT; n++) {
    const owner = customerId(random.int(1, CUSTOMER_COUNT));
    const lines: ErpOrderLine[] = [];
    const lineCount = random.int(1, 4);
    for (let lineNumber = 1; lineNumber <= lineCount; lineNumber++) {
      const product = random.pick(products);
      lines.push({ lineNumber, sku: product.sku, description: product.description, quantity: random.int(1, 5), unitPriceCents: product.unitPriceCents });
    }
    const placedAt = random.dateBetween('2019-01-01T00:00:00Z', '2026-06-30T00:00:00Z');
    const status = random.pick<OrderStatus>(['DELIVERED', 'DELIVERED', 'DELIVERED', 'SHIPPED', 'PLACED', 'CANCELLED']);
    const byCard = random.chance(0.7);
    const paymentStatus: PaymentStatus = status === 'CANCELLED' ? random.pick<PaymentStatus>(['REFUNDED', 'FAILED']) : status === 'PLACED' ? 'PENDING' : 'PAID';
    const cardNumber = random.pick(TEST_CARDS);
    orders.push({
      orderId: `ord-${n}`,
      customerId: owner,
      status,
      placedAt,
      currency: currencies.get(owner) ?? 'EUR',
      lines,
      payment: byCard ? { status: paymentStatus, method: 'CARD', cardNumber } : { status: paymentStatus, method: 'INVOICE' },
    });
  }
  return orders;
}

/** Sum of an order's lines in minor units. */
export const orderTotalCents = (order: Pick<ErpOrder, 'lines'>): number => order.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
