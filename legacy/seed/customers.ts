import { CUSTOMER_COUNT, customerId, SeededRandom } from './random';

/** A customer as the CRM stores it (its own field names, not Atrium's). */
export interface CrmCustomer {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  tier: 'BRONZE' | 'SILVER' | 'GOLD' | 'PLATINUM';
  address: { street: string; city: string; postalCode: string; country: string };
  createdAt: string;
}

const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloé',
  'Dmitri',
  'Elif',
  'Farah',
  'Gustav',
  'Hana',
  'Ines',
  'Jonas',
  'Kwame',
  'Lena',
  'Mateo',
  'Noor',
  'Oskar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Yara',
  'Zoltan',
];
const LAST_NAMES = [
  'Adeyemi',
  'Bauer',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Hughes',
  'Ivanova',
  'Jansen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Varga',
  'Weber',
  'Yilmaz',
  'Zhang',
];
const CITIES = [
  { city: 'Berlin', country: 'DE', postal: '10115' },
  { city: 'Munich', country: 'DE', postal: '80331' },
  { city: 'Paris', country: 'FR', postal: '75001' },
  { city: 'Lyon', country: 'FR', postal: '69001' },
  { city: 'Amsterdam', country: 'NL', postal: '1011' },
  { city: 'London', country: 'GB', postal: 'EC1A 1BB' },
  { city: 'Manchester', country: 'GB', postal: 'M1 1AE' },
  { city: 'New York', country: 'US', postal: '10001' },
  { city: 'Austin', country: 'US', postal: '73301' },
] as const;
const STREETS = ['Market Street', 'Station Road', 'Harbour Lane', 'Lindenallee', 'Rue de la Paix', 'Keizersgracht', 'Oak Avenue', 'Mill Lane'];
const TIERS: CrmCustomer['tier'][] = ['BRONZE', 'BRONZE', 'BRONZE', 'SILVER', 'SILVER', 'GOLD', 'PLATINUM'];

/** The CRM's 1,000 customers, identical on every start. */
export function seedCustomers(): CrmCustomer[] {
  const random = new SeededRandom(0xc0ffee);
  const customers: CrmCustomer[] = [];
  for (let n = 1; n <= CUSTOMER_COUNT; n++) {
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const place = random.pick(CITIES);
    const local = `${firstName}.${lastName}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .toLowerCase();
    customers.push({
      id: customerId(n),
      firstName,
      lastName,
      email: `${local}.${n}@example.com`,
      phone: `+${random.int(10, 99)} ${random.int(100, 999)} ${random.int(1000000, 9999999)}`,
      tier: random.pick(TIERS),
      address: { street: `${random.int(1, 220)} ${random.pick(STREETS)}`, city: place.city, postalCode: place.postal, country: place.country },
      createdAt: random.dateBetween('2012-01-01T00:00:00Z', '2024-12-31T00:00:00Z'),
    });
  }
  return customers;
}
