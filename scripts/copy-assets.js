// Copies the non-TypeScript files that modules load from their own folder (SDL, WSDL) next to the compiled code.
const { cpSync, readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const ASSET = /\.(graphql|wsdl)$/;

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name)) cpSync(path, join(root, 'dist', relative(root, path)));
  }
}

for (const folder of ['subgraphs', 'legacy']) copyAssets(join(root, folder));
