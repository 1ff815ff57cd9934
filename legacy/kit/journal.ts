import { fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where a stand-in's changes go, one JSON line each, replayed over its deterministic seed at start-up. */
export interface Journal<Change> {
  /** The changes written before this start, oldest first. */
  readonly replayed: readonly Change[];
  /** Writes a change and flushes it to disk before returning: a change is acknowledged only once it is kept. */
  append(change: Change): void;
}

/**
 * Opens (or starts) `<folder>/changes.jsonl`. A torn last line (the process died mid-write) is cut off; a bad line
 * before it means the file was damaged, and the stand-in refuses to start rather than serve half its data.
 */
export function openJournal<Change>(folder: string): Journal<Change> {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'changes.jsonl');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const replayed: Change[] = [];
  // Every line but the last ended with its newline, so it was written whole; the last one, if any, was torn.
  const lines = text.split('\n');
  const whole = lines.slice(0, -1);
  whole.forEach((line, i) => {
    try {
      replayed.push(JSON.parse(line) as Change);
    } catch (error) {
      throw new Error(`${file}: line ${i + 1} is not JSON; the journal is damaged`, { cause: error });
    }
  });
  const kept = whole.reduce((bytes, line) => bytes + Buffer.byteLength(line) + 1, 0);
  if (kept < Buffer.byteLength(text)) truncateSync(file, kept);
  const fd = openSync(file, 'a');
  return {
    replayed,
    append(change) {
      writeSync(fd, `${JSON.stringify(change)}\n`);
      fsyncSync(fd);
    },
  };
}
