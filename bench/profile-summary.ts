import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Where a CPU profile's samples fell: by package (or project file) and by function, self time. */
function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const url = node.callFrame.url;
    const module =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/dist/') ? `atrium:${url.split('/dist/')[1]}` : url || `(${node.callFrame.functionName})`);
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
  return `${file} (${total} samples)\n by module:\n${list(byModule)}\n by function:\n${list(byFunction)}\n`;
}

/** `node dist/bench/profile-summary.js <dir> [top]`: summarises every .cpuprofile in the folder. */
const [dir = '.', top = '15'] = process.argv.slice(2);
for (const name of readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'))) process.stdout.write(`${summarise(join(dir, name), Number(top))}\n`);
