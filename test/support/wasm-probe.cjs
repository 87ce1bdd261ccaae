/**
 * Preloaded into the CLI by a test (NODE_OPTIONS=--require): reports on stderr, at exit, how many
 * WebAssembly modules the process compiled. Ink's layout engine (Yoga) is the CLI's only one, so
 * it tells whether a command loaded Ink.
 */
'use strict';
let compiled = 0;
const { Module } = WebAssembly;
WebAssembly.Module = new Proxy(Module, {
  construct(target, args, newTarget) {
    compiled += 1;
    return Reflect.construct(target, args, newTarget);
  },
});
process.on('exit', () => process.stderr.write(`wasm modules compiled: ${compiled}\n`));
