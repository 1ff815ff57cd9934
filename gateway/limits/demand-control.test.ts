import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { buildSchema } from 'graphql';
import type { Identity } from '../../platform/identity';
import { SUPERGRAPH_FILE } from '../../schema/composition';
import type { UsagePlan } from '../auth/api-keys';
import type { GatewayContext } from '../context';
import { DemandControl } from './demand-control';
import { ClientRateLimiter } from './rate-limit';

const supergraphSdl = readFileSync(SUPERGRAPH_FILE, 'utf8');
const ATTACK = 'query($n:Int){customers(first:$n){nodes{orders(first:$n){customer{orders(first:$n){customer{orders(first:$n){id}}}}}}}}';
const identity: Identity = { subject: 'agent-1', clientId: 'acme', role: 'agent', scopes: ['customers:read', 'orders:read'], via: 'oauth' };

/** The committed supergraph served without resolvers: demand control refuses or admits before anything resolves. */
async function serve(production: boolean, maxCost = 20_000) {
  const demandControl = new DemandControl({ limiter: new ClientRateLimiter(), maxCost, production });
  demandControl.useSupergraph(supergraphSdl);
  const apollo = new ApolloServer<GatewayContext>({ schema: buildSchema(supergraphSdl, { assumeValidSDL: true }), plugins: [demandControl.plugin()] });
  await apollo.start();
  return apollo;
}

async function ask(
  apollo: ApolloServer<GatewayContext>,
  query: string,
  variables: Record<string, unknown>,
  plan: UsagePlan = { ratePerSecond: 20, burst: 40, dailyQuota: 0 },
) {
  const contextValue = { caller: { identity, plan } } as GatewayContext;
  const response = await apollo.executeOperation({ query, variables }, { contextValue });
  const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
  return { status: response.http.status, error: errors?.[0], headers: response.http.headers };
}

describe('DemandControl', () => {
  let production: ApolloServer<GatewayContext>;
  let development: ApolloServer<GatewayContext>;
  beforeAll(async () => {
    [production, development] = await Promise.all([serve(true), serve(false)]);
  });
  afterAll(() => Promise.all([production.stop(), development.stop()]));

  it('refuses list sizes in variables with HTTP 400 COST_LIMIT_EXCEEDED, priced with the sizes the supergraph declares', async () => {
    const answer = await ask(production, ATTACK, { n: 100 });
    expect(answer).toMatchObject({ status: 400, error: { extensions: { code: 'COST_LIMIT_EXCEEDED' } } });
    // In production neither the cost nor the limit is told.
    expect(answer.error?.message).not.toMatch(/\d/);
    const told = await ask(development, ATTACK, { n: 100 });
    expect(told.error?.message).toMatch(/cost 102020101, limit 20000/);
  });

  it("counts the field's default first when the variable is left out", async () => {
    // customers defaults to first: 20 and orders to 10: 1 + 20 × (1 + 10 × (1 + 1 + 10 × (1 + 1 + 10))).
    const answer = await ask(development, ATTACK, {});
    expect(answer.error?.message).toMatch(/cost 24421,/);
  });

  it("refuses an operation costing more than the caller's whole burst with 400, every time, and charges nothing", async () => {
    const plan = { ratePerSecond: 1, burst: 5, dailyQuota: 0 };
    const above = 'query($n:Int){customers(first:$n){nodes{orders(first:$n){id}}}}';
    for (let i = 0; i < 2; i += 1) {
      const answer = await ask(production, above, { n: 30 }, plan);
      expect(answer).toMatchObject({ status: 400, error: { extensions: { code: 'COST_LIMIT_EXCEEDED' }, message: expect.stringMatching(/can never pass/) } });
    }
    // 1 + 30 × (1 + 30) = 931 is 10 points, over the burst of 5; 1 + 5 × (1 + 5) = 31 is 1 point, admitted.
    const within = await ask(production, above, { n: 5 }, plan);
    expect(within.error?.extensions?.code).not.toBe('COST_LIMIT_EXCEEDED');
    expect(within.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('charges 1 point for a profile', async () => {
    const answer = await ask(production, '{ customer(id: "cust-1") { id name orders(first: 5) { id total { amount } } supportTickets { id } } }', {});
    expect(answer.headers.get('ratelimit-remaining')).toBe('39');
  });
});
