import {
  getNamedType,
  isCompositeType,
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A `@cacheControl` hint: seconds, audience, or "as long as the parent". */
interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
}

/** The policy a whole answer gets: the shortest maxAge and the narrowest scope of its fields. */
export interface CachePolicy {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

function hintOf(directives: readonly DirectiveNode[] | undefined): CacheHint {
  const directive = directives?.find((node) => node.name.value === 'cacheControl');
  const hint: CacheHint = {};
  for (const argument of directive?.arguments ?? []) {
    const value = valueFromASTUntyped(argument.value) as unknown;
    if (argument.name.value === 'maxAge' && typeof value === 'number') hint.maxAge = value;
    if (argument.name.value === 'scope' && (value === 'PUBLIC' || value === 'PRIVATE')) hint.scope = value;
    if (argument.name.value === 'inheritMaxAge' && value === true) hint.inheritMaxAge = true;
  }
  return hint;
}

const typeHint = (type: GraphQLNamedType): CacheHint => hintOf(type.astNode?.directives);

/**
 * The cache policy of an operation, from the `@cacheControl` hints of its schema, as Apollo Server's cache-control plugin
 * derives it while resolving (a field's hint, else its composite type's; a root field or a composite field without one
 * and not inheriting is uncacheable) — computed once per document instead of per field and request. `_entities` takes
 * the hints of the entity types the representations name, as `@apollo/subgraph` does at run time.
 */
export function operationCachePolicy(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let maxAge = Infinity;
  let scope: CachePolicy['scope'] = 'PUBLIC';
  let entities = false;
  const restrict = (hint: CacheHint) => {
    if (hint.maxAge !== undefined) maxAge = Math.min(maxAge, hint.maxAge);
    if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
  };

  const visit = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, root: boolean) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
        if (condition && isCompositeType(condition)) visit(fragment.selectionSet, condition, root);
        continue;
      }
      if (selection.name.value.startsWith('__') || !('getFields' in parent)) continue;
      const field = parent.getFields()[selection.name.value] as GraphQLField<unknown, unknown> | undefined;
      if (!field) continue;
      if (root && field.name === '_entities') entities = true;
      const target = getNamedType(field.type);
      const fieldHint = hintOf(field.astNode?.directives);
      let hint: CacheHint = isCompositeType(target) ? typeHint(target) : {};
      let inheritMaxAge = isCompositeType(target) && !!hint.inheritMaxAge;
      if (fieldHint.inheritMaxAge && hint.maxAge === undefined) {
        inheritMaxAge = true;
        if (fieldHint.scope) hint = { ...hint, scope: fieldHint.scope };
      } else {
        hint = { ...hint, ...definedOnly(fieldHint) };
      }
      // `_entities` is hinted by the types it resolves to, not by its union.
      const entitiesField = root && field.name === '_entities';
      if (!entitiesField && hint.maxAge === undefined && ((isCompositeType(target) && !inheritMaxAge) || root)) hint = { ...hint, maxAge: 0 };
      restrict(hint);
      if (selection.selectionSet && isCompositeType(target)) visit(selection.selectionSet, target, false);
    }
  };
  const rootType = schema.getRootType(operation.operation);
  if (rootType) visit(operation.selectionSet, rootType, true);

  return {
    /** The policy for these variables: with `_entities`, restricted by each representation's type. */
    forVariables(variables: Record<string, unknown> | undefined): CachePolicy | undefined {
      let age = maxAge;
      let audience = scope;
      if (entities) {
        for (const typename of representationTypes(variables)) {
          const type = schema.getType(typename);
          const hint = type ? typeHint(type) : {};
          age = Math.min(age, hint.maxAge ?? 0);
          if (hint.scope === 'PRIVATE') audience = 'PRIVATE';
        }
      }
      return Number.isFinite(age) && age > 0 ? { maxAge: age, scope: audience } : undefined;
    },
  };
}

function definedOnly(hint: CacheHint): CacheHint {
  const defined: CacheHint = {};
  if (hint.maxAge !== undefined) defined.maxAge = hint.maxAge;
  if (hint.scope !== undefined) defined.scope = hint.scope;
  return defined;
}

/** The distinct `__typename`s of the `representations` a gateway sends to `_entities`. */
function representationTypes(variables: Record<string, unknown> | undefined): Set<string> {
  const types = new Set<string>();
  for (const value of Object.values(variables ?? {})) {
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      const typename = (item as { __typename?: unknown } | null)?.__typename;
      if (typeof typename === 'string') types.add(typename);
    }
  }
  return types;
}

/** The `Cache-Control` header Apollo Server sends for a policy: `max-age=N, private`, or `no-store`. */
export const cacheControlHeader = (policy: CachePolicy | undefined): string =>
  policy ? `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}` : 'no-store';
