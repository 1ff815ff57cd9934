import type { HurtEvent } from './hurt';
import type { SentRequest } from './load';

/** What one event's requests came to. */
export interface EventFigures {
  event: HurtEvent;
  sent: number;
  failed: number;
  /** Failure reasons and how often each came. */
  failures: Record<string, number>;
  p99Ms: number;
  /** SIGKILL: requests in flight on the stack when the process died that failed, and failures sent after the kill / after HAProxy noticed. */
  failedInFlight?: number;
  failedAfterKill?: number;
  failedAfterDetection?: number;
  detectionMs?: number;
  met: boolean;
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/**
 * Each request counts for the event during which it was sent — except that one in flight when a process was killed
 * counts for that kill, whenever it was sent.
 */
export function figuresOf(events: HurtEvent[], requests: SentRequest[]): EventFigures[] {
  const kills = events.filter((event) => event.killedAt !== undefined);
  const killOf = (request: SentRequest) => kills.find((kill) => request.sentAt < (kill.killedAt as number) && request.doneAt > (kill.killedAt as number));
  const ownerOf = (request: SentRequest) => killOf(request) ?? events.find((event) => request.sentAt >= event.startedAt && request.sentAt < event.endedAt);
  return events.map((event) => {
    const own = requests.filter((request) => ownerOf(request) === event);
    const failed = own.filter((request) => request.failure !== undefined);
    const failures: Record<string, number> = {};
    for (const request of failed) failures[request.failure as string] = (failures[request.failure as string] ?? 0) + 1;
    const figures: EventFigures = {
      event,
      sent: own.length,
      failed: failed.length,
      failures,
      p99Ms: percentile(
        own.map((request) => request.doneAt - request.sentAt),
        99,
      ),
      met: event.goal === 'reported' || failed.length === 0,
    };
    if (event.killedAt !== undefined && event.detectedAt !== undefined) {
      const { killedAt, detectedAt } = event;
      figures.failedInFlight = failed.filter((request) => request.sentAt < killedAt).length;
      figures.failedAfterKill = failed.filter((request) => request.sentAt >= killedAt).length;
      figures.failedAfterDetection = failed.filter((request) => request.sentAt >= detectedAt).length;
      figures.detectionMs = detectedAt - killedAt;
      figures.met = figures.failedAfterDetection === 0;
    }
    return figures;
  });
}

/** The figures as a Markdown table, one row per event. */
export function eventTable(figures: EventFigures[]): string {
  const rows = figures.map((f) => {
    const kill =
      f.detectionMs === undefined
        ? ''
        : `detected in ${Math.round(f.detectionMs)} ms; failed: ${f.failedInFlight} in flight at the kill, ${f.failedAfterKill} sent after it, ${f.failedAfterDetection} after detection`;
    const reasons = Object.entries(f.failures)
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ');
    const notes = [kill, reasons, f.event.note ?? ''].filter((part) => part !== '').join('; ');
    const verdict = f.event.goal === 'reported' ? '—' : f.met ? 'met' : 'NOT MET';
    return `| ${f.event.name} | ${f.sent} | ${f.failed} | ${Math.round(f.p99Ms)} | ${notes} | ${verdict} |`;
  });
  return ['| Event | Sent | Failed | p99 ms | Notes | Goal |', '| --- | ---: | ---: | ---: | --- | --- |', ...rows].join('\n');
}
