#!/usr/bin/env node
// Launcher for the compiled CLI. Set UV_THREADPOOL_SIZE in the environment (not in code) to size libuv's pool.
const main = new URL('../dist/src/cli/main.js', import.meta.url)
if (!(await import('node:fs')).existsSync(main)) { console.error('gregor: dist/ is missing; run `npm run build` first'); process.exit(1) }
await (await import(main.href)).run(process.argv.slice(2))
