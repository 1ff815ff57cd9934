import { sharedPerProcess } from './process-shared';

describe('sharedPerProcess', () => {
  it('starts once per key for every user and stops after the last release', async () => {
    const started: string[] = [];
    const stopped: string[] = [];
    const acquire = sharedPerProcess(
      async (key) => {
        started.push(key);
        return `value of ${key}`;
      },
      async (value) => void stopped.push(value),
    );
    const [first, second, other] = await Promise.all([acquire('a'), acquire('a'), acquire('b')]);
    expect([first.value, second.value, other.value]).toEqual(['value of a', 'value of a', 'value of b']);
    expect(started).toEqual(['a', 'b']);
    await first.release();
    await first.release();
    expect(stopped).toEqual([]);
    await second.release();
    expect(stopped).toEqual(['value of a']);
    await acquire('a');
    expect(started).toEqual(['a', 'b', 'a']);
  });

  it('forgets a start that failed, so the next user starts again', async () => {
    let attempts = 0;
    const acquire = sharedPerProcess(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('database not up yet');
        return attempts;
      },
      async () => undefined,
    );
    await expect(acquire('x')).rejects.toThrow('database not up yet');
    expect((await acquire('x')).value).toBe(2);
  });
});
