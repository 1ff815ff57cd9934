import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { OperationLimits } from '../config';

/**
 * graphql-armor's operation limits (depth, aliases, tokens, directives), checked while parsing and validating, before
 * any subgraph is called. Its cost limit is off: it cannot see variables, so demand control prices operations instead. The limits themselves are never echoed to clients (`exposeLimits: false`), and field
 * suggestions ("did you mean ...") are hidden in production so the schema cannot be mapped by guessing.
 */
export function operationLimits(limits: OperationLimits, production: boolean) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, exposeLimits: false, flattenFragments: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: false },
    costLimit: { enabled: false },
    maxTokens: { n: limits.maxTokens, exposeLimits: false },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: false },
    blockFieldSuggestion: { enabled: production },
  }).protect();
  return { plugins, validationRules };
}
