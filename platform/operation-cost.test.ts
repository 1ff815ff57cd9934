import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { operationCost } from './operation-cost';

const schema = buildSchema(`
  type Query { customer(id: ID!): Customer, customers(first: Int): [Customer!]! }
  type Customer { id: ID!, name: String!, orders(first: Int): [Order!], tickets: [Ticket!] }
  type Order { id: ID!, total: Money! }
  type Money { amount: String! }
  type Ticket { id: ID! }
`);

function cost(query: string, variables?: Record<string, unknown>): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return operationCost(schema, operation, fragments, variables);
}

describe('operationCost', () => {
  it('counts each field once outside lists', () => {
    expect(cost('{ customer(id: "1") { id name } }')).toBe(3);
  });

  it('multiplies by first, from a literal or a variable', () => {
    expect(cost('{ customer(id: "1") { orders(first: 5) { id total { amount } } } }')).toBe(1 + 1 + 5 * (1 + 2));
    expect(cost('query($n: Int) { customers(first: $n) { id } }', { n: 50 })).toBe(1 + 50);
  });

  it('assumes 10 items for a list without first, and follows fragments once', () => {
    expect(cost('{ customer(id: "1") { ...T } } fragment T on Customer { tickets { id } }')).toBe(1 + 1 + 10);
  });

  it('ignores introspection fields and never answers less than 1', () => {
    expect(cost('{ __typename }')).toBe(1);
  });
});
