import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subscriber received: results, and how the stream ended. */
export interface Received {
  results: ExecutionResult<Record<string, unknown>, { eventId?: string }>[];
  /** The error the subscription ended with (errors sent instead of results, or a closed connection). */
  error?: unknown;
  completed: boolean;
}

/** A graphql-ws client on the gateway's /graphql, with credentials in connection_init, that never retries. */
export function wsClient(gatewayUrl: string, connectionParams: Record<string, unknown>): Client {
  return createClient({ url: gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

/** Subscribes and gathers what arrives until `stop()`; `received` fills as results come. */
export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>) {
  const received: Received = { results: [], completed: false };
  const stop = client.subscribe(
    { query, variables, extensions },
    {
      next: (result) => void received.results.push(result as Received['results'][number]),
      error: (error) => {
        received.error = error;
        received.completed = true;
      },
      complete: () => void (received.completed = true),
    },
  );
  return { received, stop };
}

/** One `next` of a GraphQL-over-SSE stream. */
export type SseResult = ExecutionResult<Record<string, unknown>, { eventId?: string }>;

/**
 * Opens a GraphQL-over-SSE stream (distinct connections mode) and reads its `next` events as they come; the status
 * and body of a refusal instead when the gateway refuses it.
 */
export async function sseSubscribe(gatewayUrl: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const results: SseResult[] = [];
  let ended = false;
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(message)?.[1];
            const data = message
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trim())
              .join('\n');
            if (event === 'next' && data) results.push(JSON.parse(data) as SseResult);
          }
        }
      } catch {
        // Aborted by the test.
      }
      ended = true;
    })();
  }
  return {
    status: response.status,
    refusal: response.ok ? undefined : ((await response.json()) as { errors: { message: string; extensions: { code: string } }[] }),
    results,
    ended: () => ended,
    close: () => controller.abort(),
  };
}
