import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A list field without a `first` argument is assumed to hold this many items. */
const ASSUMED_LIST_SIZE = 10;

/**
 * What an operation costs to serve: every field selected counts 1, times the size of every list it sits in (the
 * `first` argument where given). It is what rate limits charge, so a 50-customer page costs more than one profile.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): number {
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return 1;

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, seen: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const field = 'getFields' in parent ? parent.getFields()[selection.name.value] : undefined;
        if (!field) {
          total += 1;
          continue;
        }
        const type = getNamedType(field.type);
        const first = selection.arguments?.find((argument) => argument.name.value === 'first');
        const requested = first ? Number(valueFromASTUntyped(first.value, variables)) : NaN;
        const size = isListType(getNullableType(field.type)) ? (Number.isFinite(requested) ? Math.max(0, requested) : ASSUMED_LIST_SIZE) : 1;
        const children = selection.selectionSet && (isObjectType(type) || isAbstractType(type)) ? costOf(selection.selectionSet, type, seen) : 0;
        total += 1 + size * children;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? (schema.getType(typeName) as GraphQLCompositeType | undefined) : parent;
        total += costOf(selection.selectionSet, type ?? parent, seen);
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        total += costOf(fragment.selectionSet, type ?? parent, new Set([...seen, fragment.name.value]));
      }
    }
    return total;
  };

  return Math.max(1, costOf(operation.selectionSet, root, new Set()));
}
