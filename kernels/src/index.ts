// The kernel module's entry: it re-exports every family file. kernels/README.md
// documents the ABI; src/engine/kernels/abi.ts mirrors it for TypeScript.
export * from './q8_act';
export * from './q8_0';
export * from './q8_0x4';
export * from './q4_0';
export * from './q4_0x4';
export * from './q5_0x4';
export * from './q4_1';
export * from './q5_0';
export * from './q5_1';
export * from './iq4_nl';
export * from './f32';
export * from './f16';
export * from './bf16';
export * from './q8_k';
export * from './q2_k';
export * from './q3_k';
export * from './q4_k';
export * from './q4_kx4';
export * from './q6_kx4';
export * from './q5_k';
export * from './q6_k';
export * from './norm';
export * from './rope';
export * from './attention';
export * from './elementwise';
export { expF32, expF32Simd128 } from './math';
export * from './membench';
