import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SupergraphManager, SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '../platform/log';

/** How often the file is checked; polling survives editors' rename-on-save and container volume mounts. */
const POLL_INTERVAL_MS = 500;

/**
 * Serves the supergraph from a file and takes a changed file without a restart. A file that does not compose into a
 * valid schema is refused with a logged reason, and the last good supergraph keeps serving.
 */
export class SupergraphFile implements SupergraphManager {
  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  async initialize({ update }: Parameters<SupergraphSdlHook>[0]) {
    let current = readFileSync(this.path, 'utf8');
    const reload = () => {
      let next: string;
      try {
        next = readFileSync(this.path, 'utf8');
      } catch (error) {
        this.log.warn({ err: error, path: this.path }, 'supergraph file unreadable; keeping the current supergraph');
        return;
      }
      if (next === current) return;
      try {
        update(next);
        current = next;
        this.log.info({ path: this.path }, 'supergraph reloaded');
      } catch (error) {
        this.log.error({ reason: (error as Error).message, path: this.path }, 'new supergraph refused; keeping the current one');
      }
    };
    watchFile(this.path, { interval: POLL_INTERVAL_MS }, reload);
    return {
      supergraphSdl: current,
      cleanup: async () => unwatchFile(this.path, reload),
    };
  }
}
