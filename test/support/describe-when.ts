/**
 * `describe` when what the suite needs is there (`missing` undefined); otherwise `describe.skip` with the reason
 * printed. Under `CI=true` a missing dependency is a failure, never a silent skip.
 */
export function describeWhen(name: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) return describe(name, body);
  if (process.env.CI === 'true') throw new Error(`${name}: ${missing}, and CI=true requires it`);
  console.warn(`skipping "${name}": ${missing}`);
  describe.skip(name, body);
}
