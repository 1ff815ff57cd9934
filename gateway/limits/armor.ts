import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationLimits } from '../config';

/** graphql-js's own refusal of a long document names the limit; the limits are never echoed to clients. */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more than \d+ tokens\. Parsing aborted\.$/;

const quietTokenLimit: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async parsingDidStart() {
        return async (error) => {
          if (error && TOKEN_LIMIT_MESSAGE.test(error.message)) error.message = 'Syntax Error: the document has too many tokens.';
        };
      },
    };
  },
};

/**
 * graphql-armor's operation limits (depth, aliases, directives), checked while validating, before any subgraph is
 * called, and the token limit, which graphql-js enforces while parsing (`parseOptions`): armor's own token plugin parses
 * in a plugin hook, so a syntax error there became an HTTP 500. Its cost limit is off: it cannot see variables, so
 * demand control prices operations instead. The limits are never echoed to clients (`exposeLimits: false`).
 * Suggestions ("did you mean ...") are hidden by the gateway's error masker in production, for enum values and types
 * as well as the fields armor's `blockFieldSuggestion` covers.
 */
export function operationLimits(limits: OperationLimits) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, exposeLimits: false, flattenFragments: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: false },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: false },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return { plugins: [...plugins, quietTokenLimit], validationRules, parseOptions: { maxTokens: limits.maxTokens } };
}
