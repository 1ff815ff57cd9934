import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { register } from 'prom-client';
import { inFlightLimit } from './overload';

const response = () => new EventEmitter() as unknown as ServerResponse;
const sample = async (name: string, service: string) =>
  (await register.getSingleMetric(name)?.get())?.values.find((value) => value.labels.service === service)?.value ?? 0;

describe('inFlightLimit', () => {
  it('admits up to the limit, refuses and counts the next, and frees a slot when a response closes', async () => {
    const limit = inFlightLimit('unit', 2);
    const first = response();
    expect([limit.admit(first), limit.admit(response()), limit.admit(response())]).toEqual([true, true, false]);
    expect(await sample('atrium_requests_refused_total', 'unit')).toBe(1);
    expect(await sample('atrium_requests_in_flight', 'unit')).toBe(2);
    first.emit('close');
    expect(limit.admit(response())).toBe(true);
    expect(await sample('atrium_requests_in_flight', 'unit')).toBe(2);
  });
});
