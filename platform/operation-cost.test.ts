import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_LIST_SIZE, requestCost } from './operation-cost';

const schema = buildSchema(`
  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    customer(id: ID!): Customer
    customers(first: Int = 20, after: String): CustomerConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
    search(first: Int, last: Int): [Customer!]! @listSize(slicingArguments: ["first", "last"])
    report: Report
  }
  type Mutation { placeOrder(id: ID!): Order! }
  type CustomerConnection { nodes: [Customer!]!, pageInfo: PageInfo! }
  type PageInfo { hasNextPage: Boolean! }
  type Customer { id: ID!, name: String!, orders(first: Int = 10): [Order!] @listSize(slicingArguments: ["first"]), tickets: [Ticket!] @listSize(assumedSize: 20), tags: [Tag!] }
  type Order { id: ID!, total: Money!, customer: Customer! }
  type Money { amount: String! }
  type Ticket { id: ID! }
  type Tag { id: ID! }
  type Report @cost(weight: 50) { id: ID!, heavy: String @cost(weight: 7) }
`);

function cost(query: string, variables?: Record<string, unknown>): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return requestCost(schema, document, operation, variables);
}

describe('operationCost', () => {
  it('counts objects 1 and scalars 0 outside lists', () => {
    expect(cost('{ customer(id: "1") { id name } }')).toBe(1);
    expect(cost('{ __typename }')).toBe(0);
  });

  it('multiplies by first, from a literal, a variable or the argument default', () => {
    const orders = (first: string) => `{ customer(id: "1") { orders${first} { id total { amount } } } }`;
    expect(cost(orders('(first: 5)'))).toBe(1 + 5 * (1 + 1));
    expect(cost('query($n: Int) { customer(id: "1") { orders(first: $n) { id total { amount } } } }', { n: 5 })).toBe(1 + 5 * 2);
    expect(cost(orders(''))).toBe(1 + 10 * 2);
  });

  it('takes a variable default when the variable is not sent, and its value when it is', () => {
    const query = 'query($n: Int = 7) { customer(id: "1") { orders(first: $n) { id } } }';
    expect(cost(query)).toBe(1 + 7);
    expect(cost(query, { n: 100 })).toBe(1 + 100);
  });

  it('multiplies nested lists, so list sizes in variables count as literal ones', () => {
    const attack = 'query($n:Int){customers(first:$n){nodes{orders(first:$n){customer{orders(first:$n){customer{orders(first:$n){id}}}}}}}}';
    const literal = attack.replace('query($n:Int)', '').replace(/\$n/g, '100');
    const expected = 1 + 100 * (1 + 100 * (1 + 1 * (1 + 100 * (1 + 1 * (1 + 100 * 1)))));
    expect(cost(attack, { n: 100 })).toBe(expected);
    expect(cost(literal)).toBe(expected);
  });

  it('sizes a connection by its sizedFields, not the connection itself', () => {
    expect(cost('{ customers(first: 50) { nodes { id } pageInfo { hasNextPage } } }')).toBe(1 + 50 * 1 + 1);
    expect(cost('{ customers { nodes { id } } }')).toBe(1 + 20);
  });

  it('uses the largest slicing argument, the assumed size, or the default size', () => {
    expect(cost('{ search(first: 3, last: 30) { id } }')).toBe(30);
    expect(cost('{ search { id } }')).toBe(DEFAULT_LIST_SIZE);
    expect(cost('{ customer(id: "1") { tickets { id } } }')).toBe(1 + 20);
    expect(cost('{ customer(id: "1") { tags { id } } }')).toBe(1 + DEFAULT_LIST_SIZE);
  });

  it('counts every fragment spread and every alias where it is used', () => {
    const fragment = 'fragment T on Customer { tickets { id } }';
    expect(cost(`{ customer(id: "1") { ...T } } ${fragment}`)).toBe(1 + 20);
    expect(cost(`{ a: customer(id: "1") { ...T } b: customer(id: "2") { ...T ... on Customer { orders(first: 2) { id } } } } ${fragment}`)).toBe(
      2 * (1 + 20) + 2,
    );
    expect(cost(`query($n: Int) { customers(first: $n) { nodes { ...O } } } fragment O on Customer { orders(first: $n) { id } }`, { n: 10 })).toBe(
      1 + 10 * (1 + 10),
    );
  });

  it('honours @cost on fields and types, and the base cost of a mutation', () => {
    expect(cost('{ report { id heavy } }')).toBe(50 + 7);
    expect(cost('mutation { placeOrder(id: "1") { id } }')).toBe(10 + 1);
  });

  it('honours @skip and @include with their variables', () => {
    const query = 'query($big: Boolean!) { customer(id: "1") { orders(first: 100) @include(if: $big) { id } } }';
    expect(cost(query, { big: false })).toBe(1);
    expect(cost(query, { big: true })).toBe(101);
  });

  it("sizes Federation's _entities by its representations", () => {
    const entities = buildSchema(`
      scalar _Any
      union _Entity = Customer
      type Query { _entities(representations: [_Any!]!): [_Entity]! }
      type Customer { id: ID!, orders(first: Int = 10): [Order!] @listSize(slicingArguments: ["first"]) }
      type Order { id: ID! }
      directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    `);
    const document = parse('query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders(first: 100) { id } } } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const representations = Array.from({ length: 30 }, (_, i) => ({ __typename: 'Customer', id: `c${i}` }));
    expect(requestCost(entities, document, operation, { r: representations })).toBe(30 * (1 + 100));
  });

  it('refuses variables that do not coerce with BAD_USER_INPUT, saying why', () => {
    expect(() => cost('query($n: Int) { customers(first: $n) { nodes { id } } }', { n: 'many' })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/Variable "\$n" got invalid value "many"/),
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      }),
    );
  });
});
