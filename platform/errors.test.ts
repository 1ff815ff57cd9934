import { GraphQLError } from 'graphql';
import { captureLogger } from '../test/support/capture-logger';
import { errorMasker } from './errors';

describe('errorMasker', () => {
  it('keeps public errors and strips their stack trace', () => {
    const { log } = captureLogger();
    const formatted = errorMasker(log, { hideSuggestions: false })(
      { message: 'Forbidden: x', path: ['a'], extensions: { code: 'FORBIDDEN', stacktrace: ['at x'] } },
      new GraphQLError('x'),
    );
    expect(formatted).toEqual({ message: 'Forbidden: x', path: ['a'], extensions: { code: 'FORBIDDEN' } });
  });

  it('masks anything else with a correlation id that the log carries with the real error', () => {
    const { log, lines } = captureLogger();
    const formatted = errorMasker(log, { hideSuggestions: false })(
      { message: 'connect ECONNREFUSED http://crm.internal:4101', extensions: { code: 'SOMETHING' } },
      new Error('connect ECONNREFUSED http://crm.internal:4101'),
    );
    const correlationId = formatted.extensions?.correlationId as string;
    expect(formatted).toEqual({
      message: `Internal server error (correlation id ${correlationId})`,
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    });
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.some((line) => line.correlationId === correlationId && JSON.stringify(line.err).includes('crm.internal'))).toBe(true);
  });
});
