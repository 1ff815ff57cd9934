import type { Logger } from '../log';
import { sharedPerProcess } from '../process-shared';
import { EventLog } from './event-log';
import { EventRecorder } from './sequencer';

/** The event log's connection pool and its recorder's sweep, once per process and database however many services record. */
const recorders = (log: Logger) =>
  sharedPerProcess(
    async (databaseUrl) => {
      const eventLog = await EventLog.open(databaseUrl, log);
      return new EventRecorder(eventLog, log);
    },
    async (recorder) => {
      recorder.close();
      await recorder.log.close();
    },
  );

let shared: ReturnType<typeof recorders> | undefined;

/**
 * The process's recorder into the event log at `databaseUrl`, opened by the first caller; `release()` closes it after
 * the last. The first caller's logger is the one the log and its sweep write to.
 */
export const openSharedRecorder = (databaseUrl: string, log: Logger) => (shared ??= recorders(log))(databaseUrl);
