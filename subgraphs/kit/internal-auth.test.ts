import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { signInternalToken } from '../../platform/internal-token';
import { viewer } from '../../test/support/viewers';
import { gatewayViewer } from './internal-auth';

const request = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

describe('gatewayViewer', () => {
  it("takes the gateway's token for this subgraph only, even after another subgraph has accepted it", async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'g1' }] });
    const orders = gatewayViewer('orders', keys);
    const customers = gatewayViewer('customers', keys);
    const caller = viewer('service', 'svc', ['orders:read']);
    const forOrders = `Bearer ${await signInternalToken(caller, 'orders', { privateKey, kid: 'g1' })}`;

    expect(await orders(request(forOrders))).toEqual(caller);
    expect(await orders(request(forOrders))).toEqual(caller);
    await expect(customers(request(forOrders))).rejects.toMatchObject({
      message: 'Unauthenticated: the gateway token is not valid',
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
    await expect(customers(request())).rejects.toMatchObject({ message: 'Unauthenticated: the gateway token is missing' });
  });
});
