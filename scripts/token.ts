import { isProduction } from '../platform/env';
import { finish } from './cli';
import { tokenCommand } from './token-command';

const issuer = process.env.OAUTH_ISSUER ?? `http://127.0.0.1:${process.env.IDP_PORT ?? 4100}`;
void tokenCommand(process.argv.slice(2), issuer, isProduction()).then(finish);
