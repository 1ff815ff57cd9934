import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

const refusal = (message: string, code: string) => new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

/**
 * Refuses, with a 400 and a code, what a client can ask for but no service here executes: an operation name the
 * document does not contain (or none where it holds several), and subscriptions sent as a plain request: the
 * gateway serves them over graphql-ws and SSE (gateway/subscriptions), never as one answer. Left to the executors,
 * both ended as internal errors.
 */
export const supportedOperationsPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          throw request.operationName
            ? refusal(`the document has no operation named "${request.operationName}"`, 'OPERATION_RESOLUTION_FAILURE')
            : refusal('the document holds several operations: name one in operationName', 'OPERATION_RESOLUTION_FAILURE');
        }
        if (operation.operation === 'subscription')
          throw refusal(
            'a subscription needs a stream: open it over graphql-ws (WebSocket) or over SSE (POST with Accept: text/event-stream)',
            'SUBSCRIPTIONS_NOT_SUPPORTED',
          );
      },
    };
  },
};
