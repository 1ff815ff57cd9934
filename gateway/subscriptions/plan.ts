import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  OperationTypeNode,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { ChangeEvent } from '../../platform/events/event-log';
import type { EventField } from './event-fields';

/** The variable the event's key is passed in when the gateway reads the changed entity. */
export const KEY_VARIABLE = 'atriumEventKey';

/** A validation error with the code Apollo Server gives the same error for a query. */
const validationFailure = (error: GraphQLError) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

const badRequest = (message: string, code = 'BAD_USER_INPUT') => new GraphQLError(message, { extensions: { code } });

/** A subscription checked against the schema, with what each event needs: which events match, and how to read the entity. */
export interface SubscriptionPlan {
  field: EventField;
  /** The subscription field's coerced arguments: an event matches when each equals the event's value of that name. */
  filters: Record<string, string>;
  /** The query that reads the changed entity with the subscriber's selection, taking the subscriber's variables and the event's key. */
  eventQuery: DocumentNode;
  /** The subscriber's coerced variables. */
  variables: Record<string, unknown>;
  /** The query and variables that must answer for the subscriber before the subscription starts. */
  authorize: { query: DocumentNode; variables: Record<string, string> };
  /** The answer's key in `data`: the field's alias or name. */
  responseKey: string;
  /** The fields between the lookup's outermost field and where the subscriber's selection went (`['payment']`). */
  path: string[];
}

/** The innermost field of a lookup (`order(id: $key) { payment }` → `payment`) given the subscriber's selection. */
function nestSelection(lookup: FieldNode, selection: SelectionSetNode | undefined): { field: FieldNode; path: string[] } {
  const inner = lookup.selectionSet?.selections[0];
  if (inner?.kind === Kind.FIELD) {
    const nested = nestSelection(inner, selection);
    return { field: { ...lookup, selectionSet: { kind: Kind.SELECTION_SET, selections: [nested.field] } }, path: [inner.name.value, ...nested.path] };
  }
  return { field: { ...lookup, selectionSet: selection }, path: [] };
}

/** `$key` of a lookup renamed, so a subscriber's own variable called `key` cannot collide with it. */
const withKeyVariable = (lookup: FieldNode): FieldNode =>
  visit(lookup, { Variable: (node) => (node.name.value === 'key' ? { ...node, name: { kind: Kind.NAME, value: KEY_VARIABLE } } : undefined) });

/**
 * Checks a subscription document as the gateway checks a query (the schema, the operation limits given as
 * `validationRules`), and plans it: the one root field must be served from the event log, and the subscriber's
 * selection is moved under the field's lookup, so each event is read through the supergraph's query plan.
 */
export function planSubscription(
  schema: GraphQLSchema,
  eventFields: ReadonlyMap<string, EventField>,
  request: { document: DocumentNode; operationName?: string | null; variables?: Record<string, unknown> | null },
  validationRules: readonly ValidationRule[],
): SubscriptionPlan | readonly GraphQLError[] {
  const errors = validate(schema, request.document, [...specifiedRules, ...validationRules]);
  if (errors.length > 0) return errors.map(validationFailure);
  const operation = getOperationAST(request.document, request.operationName);
  if (!operation) return [badRequest('the document holds no such operation: name one in operationName', 'OPERATION_RESOLUTION_FAILURE')];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION)
    return [badRequest(`this connection serves subscriptions; send a ${operation.operation} over HTTP POST to /graphql`, 'BAD_REQUEST')];
  const root = operation.selectionSet.selections[0];
  if (root?.kind !== Kind.FIELD) return [badRequest('a subscription selects one field directly, not through a fragment')];
  const field = eventFields.get(root.name.value);
  const definition = schema.getSubscriptionType()?.getFields()[root.name.value];
  if (!field || !definition) return [badRequest(`Subscription.${root.name.value} is not served by this gateway`)];

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) return coerced.errors;
  const variables = coerced.coerced;
  const filters = Object.fromEntries(Object.entries(getArgumentValues(definition, root, variables)).map(([name, value]) => [name, String(value)]));

  const nested = nestSelection(withKeyVariable(field.lookup), root.selectionSet);
  const fragments = request.document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  // The root field's arguments are the filter now: the variables only they used are left out of the event query.
  const used = new Set<string>();
  visit(
    {
      kind: Kind.DOCUMENT,
      definitions: [{ ...operation, variableDefinitions: [], selectionSet: { kind: Kind.SELECTION_SET, selections: [nested.field] } }, ...fragments],
    },
    {
      Variable: (node) => void used.add(node.name.value),
    },
  );
  const responseKey = root.alias?.value ?? root.name.value;
  const eventOperation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: operation.name,
    variableDefinitions: [
      ...(operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value)),
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: KEY_VARIABLE } },
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
      },
    ],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [{ ...nested.field, alias: { kind: Kind.NAME, value: responseKey } }] },
  };
  const eventQuery: DocumentNode = { kind: Kind.DOCUMENT, definitions: [eventOperation, ...fragments] };
  // Checked now, so a selection the lookup cannot carry is refused at subscribe time, not on every event.
  const eventErrors = validate(schema, eventQuery, [...specifiedRules, ...validationRules]);
  if (eventErrors.length > 0) return eventErrors.map(validationFailure);

  const authorizeVariables = Object.fromEntries(
    (field.authorize.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, filters[definition.variable.name.value] ?? '']),
  );
  return {
    field,
    filters,
    eventQuery,
    variables,
    authorize: { query: { kind: Kind.DOCUMENT, definitions: [field.authorize] }, variables: authorizeVariables },
    responseKey,
    path: nested.path,
  };
}

/** Whether an event is one the subscription follows: its type, and each argument equal to the event's value of that name. */
export function matches(plan: SubscriptionPlan, event: ChangeEvent): boolean {
  if (event.type !== plan.field.type) return false;
  return Object.entries(plan.filters).every(([name, value]) => (name === 'customerId' ? event.customerId : event.attributes[name]) === value);
}

/** The subscriber's answer from the lookup's: the value where their selection went, under their response key. */
export function unwrap(plan: SubscriptionPlan, data: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  let value: unknown = data?.[plan.responseKey];
  for (const name of plan.path) value = value === null || value === undefined ? value : (value as Record<string, unknown>)[name];
  return value === null || value === undefined ? null : { [plan.responseKey]: value };
}
