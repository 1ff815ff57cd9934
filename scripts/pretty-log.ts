import { prettyFactory } from 'pino-pretty';

/** Formats one JSON log line for a terminal with pino-pretty; a line that is not JSON is left as it is. */
export function prettyLogLine(): (line: string) => string {
  const pretty = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,name', singleLine: true });
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      return pretty(JSON.parse(line) as Record<string, unknown>).trimEnd();
    } catch {
      return line;
    }
  };
}
