import type { Customer } from '../../subgraphs/customers/crm-client';

/** A customer as the CRM adapter gives it, for in-process tests of the customers subgraph. */
export const ada: Customer = {
  id: 'cust-1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+44 20 7946 0000',
  tier: 'GOLD',
  address: { street: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  createdAt: '2015-12-10T09:00:00Z',
};
