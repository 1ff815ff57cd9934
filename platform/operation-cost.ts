import {
  GraphQLError,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Apollo's demand-control costs (after IBM's cost directive spec), as the Apollo and Hive routers count them: an
 * operation's base cost (mutations 10), plus every object, interface or union a field returns 1 and every scalar or
 * enum 0, unless `@cost(weight:)` on the field or its type says otherwise, times the size of every list it sits in.
 */
const OPERATION_WEIGHT = { query: 0, mutation: 10, subscription: 0 } as const;

/** The size of a list whose field has no `@listSize`, or whose slicing argument is not given: the routers' default. */
export const DEFAULT_LIST_SIZE = 10;

/**
 * A backstop every subgraph applies on its own, for requests that did not come through the gateway's limits (a direct
 * call with a stolen internal token, an `_entities` bomb). A fetch the gateway plans is never costlier or deeper than
 * the operation it serves, so the gateway's `MAX_COST` and `MAX_DEPTH` may not exceed these.
 */
export const SUBGRAPH_LIMITS = { maxCost: 100_000, maxDepth: 20 } as const;

interface ListSize {
  assumedSize?: number;
  slicingArguments: string[];
  sizedFields: string[];
}

const directive = (node: { directives?: readonly ConstDirectiveNode[] } | null | undefined, name: string) =>
  node?.directives?.find((applied) => applied.name.value === name);

function argumentsOf(applied: ConstDirectiveNode | undefined): Record<string, unknown> {
  return Object.fromEntries((applied?.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value)]));
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** `@cost(weight:)` on a field, else on the type it returns, else the spec's default for that kind of type. */
function weightOf(field: GraphQLField<unknown, unknown>, type: GraphQLNamedType): number {
  const declared = [field.astNode, type.astNode, ...(type.extensionASTNodes ?? [])]
    .map((node) => argumentsOf(directive(node, 'cost')).weight)
    .find((weight): weight is number => typeof weight === 'number');
  return declared ?? (isCompositeType(type) ? 1 : 0);
}

function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | undefined {
  const applied = directive(field.astNode, 'listSize');
  if (!applied) return undefined;
  const { assumedSize, slicingArguments, sizedFields } = argumentsOf(applied);
  return {
    assumedSize: typeof assumedSize === 'number' ? assumedSize : undefined,
    slicingArguments: strings(slicingArguments),
    sizedFields: strings(sizedFields),
  };
}

/** How many items a list field answers: its largest slicing argument, else its assumed size, else the default. */
function sizeOf(field: GraphQLField<unknown, unknown>, listSize: ListSize | undefined, args: Record<string, unknown>): number {
  // Federation's `_entities` answers one entity per representation; buildSubgraphSchema adds it, so no @listSize can.
  if (field.name === '_entities' && Array.isArray(args.representations)) return args.representations.length;
  const sliced = (listSize?.slicingArguments ?? []).map((name) => args[name]).filter((value): value is number => typeof value === 'number');
  return sliced.length > 0 ? Math.max(0, ...sliced) : (listSize?.assumedSize ?? DEFAULT_LIST_SIZE);
}

/**
 * What an operation costs on `schema`, with its variables already coerced (defaults applied), so a list size passed in a
 * variable or left to an argument's default counts exactly as a literal one. Sizes come from `@listSize`
 * (`slicingArguments` such as `first`, `assumedSize`, `sizedFields` for connections) and multiply down nested lists;
 * every fragment spread and every alias counts where it is used; `@skip`/`@include` are honoured; introspection is free.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const included = (node: FieldNode | { directives?: FieldNode['directives'] }) =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType, sizedHere: number | undefined, seen: ReadonlySet<string>): number => {
    if (node.name.value.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) return 0;
    const field = parent.getFields()[node.name.value];
    if (!field) return 0;
    const type = getNamedType(field.type);
    let args: Record<string, unknown> = {};
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      // An argument that does not coerce fails execution anyway; costing it as absent keeps the larger default.
    }
    const listSize = listSizeOf(field);
    const size = sizedHere ?? sizeOf(field, listSize, args);
    const ownCost = weightOf(field, type);
    // A connection's @listSize(sizedFields:) sizes its lists (`nodes`), not the connection object itself.
    const sizedFields = listSize?.sizedFields.length ? { names: new Set(listSize.sizedFields), size: sizeOf(field, listSize, args) } : undefined;
    const children = node.selectionSet ? selectionsCost(node.selectionSet, type, seen, sizedFields) : 0;
    return isListType(getNullableType(field.type)) && !sizedFields ? size * (ownCost + children) : ownCost + children;
  };

  const selectionsCost = (
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType,
    seen: ReadonlySet<string>,
    sized?: { names: ReadonlySet<string>; size: number },
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, parent, sized?.names.has(selection.name.value) ? sized.size : undefined, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += selectionsCost(selection.selectionSet, type ?? parent, seen, sized);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        total += selectionsCost(fragment.selectionSet, type ?? parent, new Set([...seen, fragment.name.value]), sized);
      }
    }
    return total;
  };

  const root = schema.getRootType(operation.operation);
  return OPERATION_WEIGHT[operation.operation] + (root ? selectionsCost(operation.selectionSet, root, new Set()) : 0);
}

/**
 * What a request costs: its variables coerced as execution will coerce them, then priced on `schema`. Variables that do
 * not coerce are refused here (HTTP 400, `BAD_USER_INPUT`), as execution would refuse them, since nothing can be priced on them.
 */
export function requestCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): number {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coerced.errors) {
    throw new GraphQLError(coerced.errors[0]?.message ?? 'Variables are not valid', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  }
  return operationCost(schema, document, operation, coerced.coerced);
}

/** The refusal of an operation that costs too much: HTTP 400, since the same operation sent again can never pass. */
export function costLimitExceeded(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'COST_LIMIT_EXCEEDED', http: { status: 400 } } });
}
