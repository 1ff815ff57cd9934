import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** The package (or project file) a frame belongs to. */
const moduleOf = (node: ProfileNode) => {
  const url = node.callFrame.url;
  return (
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.includes('/dist/') ? `atrium:${url.split('/dist/')[1]}` : url || `(${node.callFrame.functionName})`)
  );
};

/**
 * Samples by module counting every module on a sample's stack once: the time spent in a module's calls and all they
 * called, which self time hides (a resolver waiting on a DataLoader shows little self time, but much total).
 */
function inclusiveByModule(nodes: ProfileNode[]): Map<string, number> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const isChild = new Set(nodes.flatMap((node) => node.children ?? []));
  const totals = new Map<string, number>();
  // Depth first from each root, with the modules on the path and how often each appears on it (recursion counts once).
  const walk = (root: ProfileNode) => {
    const onPath = new Map<string, number>();
    const stack: Array<{ node: ProfileNode; entering: boolean }> = [{ node: root, entering: true }];
    while (stack.length > 0) {
      const { node, entering } = stack.pop() as { node: ProfileNode; entering: boolean };
      const module = moduleOf(node);
      if (!entering) {
        onPath.set(module, (onPath.get(module) ?? 1) - 1);
        continue;
      }
      onPath.set(module, (onPath.get(module) ?? 0) + 1);
      const hits = node.hitCount ?? 0;
      if (hits > 0) for (const [name, count] of onPath) if (count > 0) totals.set(name, (totals.get(name) ?? 0) + hits);
      stack.push({ node, entering: false });
      for (const child of node.children ?? []) stack.push({ node: byId.get(child) as ProfileNode, entering: true });
    }
  };
  // The root itself is on every stack: its children are where time starts.
  for (const root of nodes.filter((node) => !isChild.has(node.id))) for (const child of root.children ?? []) walk(byId.get(child) as ProfileNode);
  return totals;
}

/** Where a CPU profile's samples fell: by module (self and total) and by function (self). */
function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const module = moduleOf(node);
    byModule.set(module, (byModule.get(module) ?? 0) + hits);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${module}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const list = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => `  ${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return `${file} (${total} samples)\n by module, self:\n${list(byModule)}\n by module, total (calls and what they called):\n${list(inclusiveByModule(profile.nodes))}\n by function, self:\n${list(byFunction)}\n`;
}

/** `node dist/bench/profile-summary.js <dir> [top]`: summarises every .cpuprofile in the folder and the folders in it. */
function summariseAll(dir: string, top: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) summariseAll(path, top);
    else if (entry.name.endsWith('.cpuprofile')) process.stdout.write(`${summarise(path, top)}\n`);
  }
}

const [dir = '.', top = '15'] = process.argv.slice(2);
summariseAll(dir, Number(top));
