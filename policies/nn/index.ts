/** policies/nn: tfjs layers that train fast on every backend (see ops.ts for the wasm measurements). */
export { Module, type Init } from './module.ts';
export { Rng, makeInit, kaimingUniformBound, xavierUniformBound, type WeightInit } from './init.ts';
export { matmul2d, mulTransA, mulTransB, linearND, mish, gelu, softmaxLastAxis, meanVar } from './ops.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { Conv1d, ConvTranspose1d, type Conv1dOptions, type ConvTranspose1dOptions } from './conv1d.ts';
export { Conv2d, maxPool2d, type Conv2dOptions } from './conv2d.ts';
export { GroupNorm, LayerNorm } from './norm.ts';
export { SinusoidalPosEmb } from './embedding.ts';
export { Dropout } from './dropout.ts';
export { MultiheadAttention, attentionMask, type MultiheadAttentionOptions } from './attention.ts';
