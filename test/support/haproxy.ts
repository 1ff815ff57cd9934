import { existsSync } from 'node:fs';
import { haproxyBinary } from '../../scripts/process-stack';
import { describeWhen } from './describe-when';

/** `describe` when HAProxy is installed; skipped with the reason printed otherwise, and a failure under `CI=true`. */
export function describeWithHaproxy(name: string, body: () => void): void {
  describeWhen(name, existsSync(haproxyBinary()) ? undefined : `no HAProxy at ${haproxyBinary()} (apt-get install haproxy, or set HAPROXY_BIN)`, body);
}
