import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../platform/log';
import type { GatewayContext } from './context';
import { gatewayMetrics, operationLabel } from './metrics';

/**
 * One access log line and one set of metrics per GraphQL operation: operation name, client id, duration, HTTP status,
 * error codes and the subgraphs called. Never variables' values, tokens, API keys or other personal data.
 */
export function accessLogPlugin(log: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, errors }) {
          const durationMs = Math.round((performance.now() - started) * 10) / 10;
          const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const codes = [...new Set([...(errors ?? []), ...(body?.errors ?? [])].map((error) => String(error.extensions?.code ?? 'UNKNOWN')))];
          const operation = operationLabel(operationName ?? 'anonymous');
          const outcome = codes.length > 0 ? 'error' : 'ok';
          gatewayMetrics.operations.inc({ operation, outcome });
          gatewayMetrics.operationSeconds.observe({ operation }, durationMs / 1000);
          // A subscriber's events are operations too, but one line each would drown the log.
          log[contextValue.eventDelivery ? 'debug' : 'info'](
            {
              operation: operationName ?? 'anonymous',
              client: contextValue.caller.identity.clientId,
              durationMs,
              status: response.http.status ?? 200,
              errorCodes: codes,
              subgraphs: [...contextValue.subgraphsCalled].sort(),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
