import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from './journal';

describe('openJournal', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'atrium-journal-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('replays what was appended before, oldest first', () => {
    const first = openJournal<{ n: number }>(folder);
    expect(first.replayed).toEqual([]);
    first.append({ n: 1 });
    first.append({ n: 2 });
    expect(openJournal<{ n: number }>(folder).replayed).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('ignores and cuts off a torn last line, so the next change starts a line of its own', () => {
    openJournal<{ n: number }>(folder).append({ n: 1 });
    appendFileSync(join(folder, 'changes.jsonl'), '{"n":');
    const reopened = openJournal<{ n: number }>(folder);
    expect(reopened.replayed).toEqual([{ n: 1 }]);
    reopened.append({ n: 2 });
    expect(readFileSync(join(folder, 'changes.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('refuses a journal damaged before its last line', () => {
    writeFileSync(join(folder, 'changes.jsonl'), '{"n":1}\nnot json\n{"n":3}\n');
    expect(() => openJournal(folder)).toThrow(/line 2 is not JSON/);
  });
});
