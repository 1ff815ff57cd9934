import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('verifies a token once and answers it from memory until it expires', async () => {
    const tokens = new VerifiedTokens<{ who: string }>();
    const verify = jest.fn(async (token: string) => ({ value: { who: token }, expiresAt: now() + 60 }));
    expect(await tokens.get('t1', verify)).toEqual({ who: 't1' });
    expect(await tokens.get('t1', verify)).toEqual({ who: 't1' });
    expect(await tokens.get('t2', verify)).toEqual({ who: 't2' });
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('never keeps an expired token nor a failure', async () => {
    const tokens = new VerifiedTokens<{ who: string }>();
    const expired = jest.fn(async () => ({ value: { who: 'x' }, expiresAt: now() - 1 }));
    await tokens.get('old', expired);
    await tokens.get('old', expired);
    expect(expired).toHaveBeenCalledTimes(2);
    const failing = jest.fn(async (): Promise<{ value: { who: string }; expiresAt: number }> => {
      throw new Error('bad signature');
    });
    await expect(tokens.get('bad', failing)).rejects.toThrow('bad signature');
    await expect(tokens.get('bad', failing)).rejects.toThrow('bad signature');
    expect(failing).toHaveBeenCalledTimes(2);
  });
});
