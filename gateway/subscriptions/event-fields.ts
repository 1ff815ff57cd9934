import { Kind, parse, type DirectiveNode, type FieldNode, type ObjectTypeDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { EVENT_TYPES, type EventType } from '../../platform/events/event-log';

/** A subscription field the gateway serves from the event log, as its subgraph declared it with `@event`. */
export interface EventField {
  /** The subscription field's name. */
  name: string;
  /** The event it follows. */
  type: EventType;
  /** The query that reads the changed entity: its outermost field takes `$key`; the innermost is where the subscriber's selection goes. */
  lookup: FieldNode;
  /** The query run with the subscriber's credentials and the field's arguments when they subscribe. */
  authorize: OperationDefinitionNode;
}

/** A supergraph whose `@event` fields cannot be served: named in the error, so composition checks and start-up say why. */
export class EventFieldError extends Error {}

const stringArgument = (directive: DirectiveNode, name: string, field: string): string => {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  if (value?.kind !== Kind.STRING) throw new EventFieldError(`Subscription.${field}: @event needs a string "${name}"`);
  return value.value;
};

const parseQuery = (text: string, field: string, what: string): OperationDefinitionNode => {
  let operation;
  try {
    operation = parse(`query(${variablesOf(text)}) { ${text} }`).definitions[0];
  } catch (error) {
    throw new EventFieldError(`Subscription.${field}: @event ${what} is not a selection (${(error as Error).message})`);
  }
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new EventFieldError(`Subscription.${field}: @event ${what} is not a selection`);
  return operation;
};

/** `$a` and `$b` used in a selection, declared as IDs: the arguments @event selections take are keys. */
const variablesOf = (text: string): string => [...new Set(text.match(/\$[A-Za-z_][A-Za-z0-9_]*/g) ?? [])].map((name) => `${name}: ID!`).join(', ');

/** The subscription fields of a supergraph that carry `@event`, by name; a field without it cannot be subscribed to. */
export function eventFieldsOf(supergraphSdl: string): Map<string, EventField> {
  const document = parse(supergraphSdl);
  const subscription = document.definitions.find(
    (definition): definition is ObjectTypeDefinitionNode => definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === 'Subscription',
  );
  const fields = new Map<string, EventField>();
  for (const field of subscription?.fields ?? []) {
    const directive = field.directives?.find((candidate) => candidate.name.value === 'event');
    if (!directive) continue;
    const name = field.name.value;
    const type = stringArgument(directive, 'type', name);
    if (!(EVENT_TYPES as readonly string[]).includes(type))
      throw new EventFieldError(`Subscription.${name}: @event type "${type}" is none of ${EVENT_TYPES.join(', ')}`);
    const lookup = parseQuery(stringArgument(directive, 'lookup', name), name, 'lookup').selectionSet.selections[0];
    if (lookup?.kind !== Kind.FIELD) throw new EventFieldError(`Subscription.${name}: @event lookup must be a field`);
    const authorize = parseQuery(stringArgument(directive, 'authorize', name), name, 'authorize');
    fields.set(name, { name, type: type as EventType, lookup, authorize });
  }
  return fields;
}
