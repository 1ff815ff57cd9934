import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../platform/log';
import { openStore } from '../../platform/store';
import { IdempotencyStore } from '../../subgraphs/kit/idempotency';

/** Idempotency records in process memory, for tests of a subgraph's operations that need no restart. */
export const memoryIdempotency = (): IdempotencyStore => new IdempotencyStore(openStore(`test-${randomUUID()}`, { log: silentLogger }), silentLogger);
