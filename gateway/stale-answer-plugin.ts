import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context';

/**
 * Tells clients when part of an answer was served from a backend's last good value while the backend was failing:
 * `extensions.stale.backends` names those backends. Fields are otherwise as they were when last read.
 */
export const staleAnswerPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind !== 'single' || contextValue.staleBackends.size === 0) return;
        const result = response.body.singleResult;
        result.extensions = { ...result.extensions, stale: { backends: [...contextValue.staleBackends].sort() } };
      },
    };
  },
};
