import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { startStack, type Stack } from '../support/stack';

const PROFILE = 'query Profile($id: ID!) { customer(id: $id) { id orders(first: 2) { id } preferences { language } supportTickets { id } } }';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let stack: Stack;
  beforeAll(async () => {
    // What startTracing does with OTEL_EXPORTER_OTLP_ENDPOINT set, with an in-memory exporter instead of OTLP.
    provider.register();
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('makes one trace of a Profile query: gateway, every subgraph, every backend call, parented across the hops', async () => {
    exporter.reset();
    const result = await stack.query(PROFILE, { id: 'cust-1' });
    expect(result.errors).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === 'POST /graphql' && span.attributes['atrium.service'] === 'gateway') as ReadableSpan;
    expect(root).toBeDefined();
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
    const byId = new Map(inTrace.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');
    const ancestors = (span: ReadableSpan): string[] => {
      const parent = parentOf(span);
      return parent ? [parent.name, ...ancestors(parent)] : [];
    };

    expect(inTrace.map((span) => span.name)).toEqual(expect.arrayContaining(['gateway.request', 'gateway.plan', 'gateway.execute', 'gateway.fetch']));
    for (const subgraph of ['customers', 'orders', 'preferences', 'support-tickets']) {
      const server = inTrace.find((span) => span.name === 'POST /graphql' && span.attributes['atrium.service'] === subgraph) as ReadableSpan;
      expect({ subgraph, found: server !== undefined }).toEqual({ subgraph, found: true });
      // Across the HTTP hop: the subgraph's span is a child of the gateway's fetch.
      expect(parentOf(server)?.name).toBe('gateway.fetch');
    }
    for (const call of ['CRM GET /customers', 'ERP GetOrdersByCustomerIds', 'preference service GET /preferences', 'helpdesk GetTicketsByCustomerIds']) {
      const span = inTrace.find((candidate) => candidate.name === call) as ReadableSpan;
      expect({ call, found: span !== undefined }).toEqual({ call, found: true });
      expect(ancestors(span)).toEqual(expect.arrayContaining(['POST /graphql', 'gateway.fetch', 'gateway.request']));
    }
    // Every span of the request belongs to this one trace.
    expect(spans.filter((span) => span.name.startsWith('gateway.') && span.spanContext().traceId !== traceId)).toEqual([]);
  });
});
