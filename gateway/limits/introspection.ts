import { GraphQLError, type ValidationRule } from 'graphql';

/** What `__type(name:)` may still tell in production: whether a type exists, never its fields or arguments. */
const TYPE_FIELDS_ALLOWED = new Set(['name', 'kind', '__typename']);

/**
 * Production introspection policy: `__schema` is refused, and `__type(name:)` answers only `name` and `kind`, so
 * nobody can map the schema, while GraphQL-over-HTTP clients that probe a type by name still get a valid answer.
 */
export const limitedIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === '__schema') {
      context.reportError(new GraphQLError('GraphQL introspection is not allowed here', { nodes: [node] }));
    } else if (name === '__type') {
      const refused = node.selectionSet?.selections.find((selection) => selection.kind !== 'Field' || !TYPE_FIELDS_ALLOWED.has(selection.name.value));
      if (refused) context.reportError(new GraphQLError('GraphQL introspection is not allowed here: __type tells only name and kind', { nodes: [node] }));
    }
  },
});
