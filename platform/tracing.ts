import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';

/** Every span Atrium makes comes from this tracer; Apollo's gateway adds its own (request, plan, fetch). */
const tracer = () => trace.getTracer('atrium');

/**
 * Starts OpenTelemetry for this process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: spans are exported over OTLP/HTTP
 * and W3C `traceparent` is read and written at every hop. Unset, nothing is registered and tracing costs nothing, not
 * even loading the SDK (a second and more of every service's start-up). Resolves with how to flush and stop it.
 */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return async () => undefined;
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/exporter-trace-otlp-http')]);
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? service, traceExporter: new OTLPTraceExporter(), instrumentations: [] });
  sdk.start();
  return () => sdk.shutdown();
}

/** Runs `work` in a server span continuing the caller's trace (from `traceparent`), ended when `work` settles. */
export function inServerSpan<T>(name: string, headers: IncomingHttpHeaders, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), headers);
  return tracer().startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, parent, (span) => settle(span, work));
}

/** Runs `work` in a client span (a call to another service), ended when `work` settles. */
export function inClientSpan<T>(name: string, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, (span) => settle(span, work));
}

/** The W3C trace context of the active span, as headers for the next hop; empty when tracing is off. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

async function settle<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
}
