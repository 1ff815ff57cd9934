import { randomUUID } from 'node:crypto';
import { PROFILE_QUERY, postGraphQL, type ClientAnswer } from '../chaos/clients';
import { customerToken } from '../chaos/idempotency';
import type { ProcessStack } from '../process-stack';

const PLACE_ORDER = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const READ_SCOPES = 'customers:read pii:read orders:read preferences:read tickets:read';

/** One request the load sent, and how it ended. */
export interface SentRequest {
  kind: 'profile' | 'placeOrder';
  /** performance.now() when it was sent and when its answer (or its failure) arrived. */
  sentAt: number;
  doneAt: number;
  /** Why it failed: `HTTP_502`, `NO_ANSWER`, a GraphQL error code; undefined when it succeeded. */
  failure?: string;
  /** placeOrder: its idempotency key and the order it got. */
  key?: string;
  orderId?: string;
}

/** One placeOrder a client means to make: it sends the same key again until it gets its order. */
export interface OrderIntent {
  customerId: string;
  key: string;
}

export interface LoadOptions {
  /** Requests started per second, whatever the answers take (an open model: a slow stack gets no breathing room). */
  perSecond: number;
  /** Every n-th request is a card placeOrder, the rest Profile reads. */
  orderEvery: number;
  /** The customers whose orders are placed (their ERP books are counted afterwards). */
  orderCustomers: string[];
}

/** A request counts as failed when it is not a 200 whose body has data and no errors. */
export function failureOf(answer: ClientAnswer): string | undefined {
  if (answer.status === 0) return 'NO_ANSWER';
  if (answer.status !== 200) return `HTTP_${answer.status}`;
  const [error] = answer.errors ?? [];
  // Which subgraph, and how (overloaded, too slow, unreachable), is in the message.
  if (error)
    return error.extensions?.code?.startsWith('SUBGRAPH_') ? `${error.extensions.code} (${error.message})` : (error.extensions?.code ?? 'GRAPHQL_ERROR');
  return answer.data ? undefined : 'NO_DATA';
}

/** Profile reads and placeOrder at a steady rate through the stack's load balancer, every request recorded. */
export class Load {
  readonly requests: SentRequest[] = [];
  readonly intents: OrderIntent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private sent = 0;
  private readonly run = randomUUID().slice(0, 8);

  private constructor(
    private readonly stack: ProcessStack,
    private readonly options: LoadOptions,
    private readonly readerToken: string,
    private readonly customerTokens: Map<string, string>,
  ) {}

  static async prepare(stack: ProcessStack, options: LoadOptions): Promise<Load> {
    const reader = await stack.token({ sub: 'scale-reader', role: 'service', scopes: READ_SCOPES });
    const tokens = new Map(await Promise.all(options.orderCustomers.map(async (id) => [id, await customerToken(stack, id)] as const)));
    return new Load(stack, options, reader, tokens);
  }

  start(): void {
    this.timer = setInterval(() => this.sendOne(), 1000 / this.options.perSecond);
  }

  /** Stops sending and waits for every answer. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  /** Sends the order again, as its client would, with the same key and body. */
  async placeOrder(intent: OrderIntent): Promise<SentRequest> {
    const sentAt = performance.now();
    const answer = await postGraphQL(
      this.stack.gatewayUrl,
      { authorization: `Bearer ${this.customerTokens.get(intent.customerId)}` },
      PLACE_ORDER,
      { input: { customerId: intent.customerId, idempotencyKey: intent.key, lines: [{ sku: 'SKU-0005', quantity: 1 }], paymentMethod: 'pm_card_visa' } },
      30_000,
    );
    const orderId = (answer.data?.placeOrder as { id?: string } | null | undefined)?.id;
    return { kind: 'placeOrder', sentAt, doneAt: performance.now(), failure: failureOf(answer), key: intent.key, orderId };
  }

  private sendOne(): void {
    const n = this.sent++;
    const work = n % this.options.orderEvery === 0 ? this.order(n) : this.profile(n);
    const tracked = work.then((request) => void this.requests.push(request));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private order(n: number): Promise<SentRequest> {
    const customers = this.options.orderCustomers;
    const intent = { customerId: customers[n % customers.length] as string, key: `scale-${this.run}-${n}` };
    this.intents.push(intent);
    return this.placeOrder(intent);
  }

  private async profile(n: number): Promise<SentRequest> {
    const sentAt = performance.now();
    const answer = await postGraphQL(
      this.stack.gatewayUrl,
      { authorization: `Bearer ${this.readerToken}` },
      PROFILE_QUERY,
      { id: `cust-${(n % 200) + 1}` },
      30_000,
    );
    return { kind: 'profile', sentAt, doneAt: performance.now(), failure: failureOf(answer) };
  }
}
