import { spawnSync } from 'node:child_process';
import { testDatabaseServer } from '../../scripts/throwaway-database';
import { describeWhen } from './describe-when';

/** Whether PostgreSQL answers at the test server, checked synchronously so suites can choose describe or describe.skip. */
function databaseAnswers(): boolean {
  const probe = `
    const pg = require('pg');
    const client = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 2000 });
    client.connect().then(() => client.end()).then(() => process.exit(0), () => process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe, testDatabaseServer], { timeout: 5000, cwd: __dirname }).status === 0;
}

/** `describe` when PostgreSQL answers; skipped with the reason printed otherwise, and a failure under `CI=true`. */
export function describeWithDatabase(name: string, body: () => void): void {
  describeWhen(name, databaseAnswers() ? undefined : `PostgreSQL does not answer at ${new URL(testDatabaseServer).host} (set ATRIUM_TEST_DATABASE_URL)`, body);
}
