/** A small seeded pseudo-random generator (mulberry32): the same seed gives the same data on every start. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A date-time between two instants, as an ISO string without milliseconds. */
  dateBetween(from: string, to: string): string {
    const start = Date.parse(from);
    const end = Date.parse(to);
    return new Date(start + Math.floor((this.next() * (end - start)) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
}

/** Number of seeded customers; their ids are `cust-1` … `cust-1000` in every backend. */
export const CUSTOMER_COUNT = 1000;

export const customerId = (n: number): string => `cust-${n}`;

/** The customer number in a well-formed id, or undefined. */
export function customerNumber(id: string): number | undefined {
  const match = /^cust-([1-9]\d{0,8})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** Whether a seeded customer with this id exists. */
export function isKnownCustomer(id: string): boolean {
  const n = customerNumber(id);
  return n !== undefined && n <= CUSTOMER_COUNT;
}
