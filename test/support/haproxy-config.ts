/** One section of an HAProxy configuration file: `frontend gateway` with its directives, comments left out. */
export interface HaproxySection {
  kind: string;
  name: string;
  lines: string[];
}

/** Splits an HAProxy configuration into its sections: a section starts at an unindented line, its directives are indented. */
export function haproxyConfig(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      const [kind = '', name = ''] = line.split(/\s+/);
      sections.push({ kind, name, lines: [] });
    } else {
      sections.at(-1)?.lines.push(line.trim().replace(/\s+/g, ' '));
    }
  }
  return sections;
}
