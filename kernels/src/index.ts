// The kernel module's entry: it re-exports every family file. kernels/README.md
// documents the ABI; src/engine/kernels/abi.ts mirrors it for TypeScript.
export * from './q8_act';
export * from './q8_0';
export * from './q4_0';
export * from './norm';
export * from './rope';
export * from './attention';
export * from './elementwise';
export * from './math';
