import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('verifies a token once and answers it from memory until it expires', async () => {
    const verify = jest.fn(async (token: string) => ({ value: { who: token }, expiresAt: now() + 60 }));
    const tokens = new VerifiedTokens(verify);
    expect(await tokens.get('t1')).toEqual({ who: 't1' });
    expect(await tokens.get('t1')).toEqual({ who: 't1' });
    expect(await tokens.get('t2')).toEqual({ who: 't2' });
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('never keeps an expired token nor a failure', async () => {
    const expired = jest.fn(async () => ({ value: { who: 'x' }, expiresAt: now() - 1 }));
    const old = new VerifiedTokens(expired);
    await old.get('old');
    await old.get('old');
    expect(expired).toHaveBeenCalledTimes(2);
    const failing = jest.fn(async (): Promise<{ value: { who: string }; expiresAt: number }> => {
      throw new Error('bad signature');
    });
    const bad = new VerifiedTokens(failing);
    await expect(bad.get('bad')).rejects.toThrow('bad signature');
    await expect(bad.get('bad')).rejects.toThrow('bad signature');
    expect(failing).toHaveBeenCalledTimes(2);
  });
});
