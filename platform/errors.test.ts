import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLError } from 'graphql';
import { captureLogger } from '../test/support/capture-logger';
import { errorMasker, INTERNAL_ERROR_CODE, PUBLIC_ERROR_CODE_LIST } from './errors';
import { repoRoot } from './paths';

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

describe('the error codes', () => {
  it("are the README's error table, no more and no fewer", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Errors\n'), readme.indexOf('\n## ', readme.indexOf('\n## Errors\n') + 1));
    const documented = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => line.split('|')[1]?.match(/[A-Z][A-Z_]+/g) ?? []);
    expect([...documented].sort()).toEqual([...PUBLIC_ERROR_CODE_LIST, INTERNAL_ERROR_CODE].sort());
  });
});
