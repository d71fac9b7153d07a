/**
 * dpbench's public API.
 * - Envs: `makeEnv('PushT-v0', { obsType: 'keypoints' })` (Gymnasium contract), the scripted expert and
 *   its mode labels.
 * - Policies: the Policy contract, Diffusion Policy (DP-C, DP-T), MLP-BC, random.
 * - Harness: backend choice, demonstrations, training runs, evaluation and the bench.
 * - Rendering: the batched three.js renderer in headless Chromium, pixel observations, rollout videos.
 */
export * from '../envs/index.ts';
export { RAPIER_BUILD } from '../envs/core/physics.ts';
export { PushTExpert, PUSHT_MODES } from '../envs/push-t/expert.ts';
export { labelMode } from '../envs/push-t/modes.ts';

export type { Policy, PolicyConfig, ObsBatch, PredictOptions } from '../policies/core/policy.ts';
export type { TrainablePolicy, TrainBatch } from '../policies/core/trainable.ts';
export { LinearNormalizer } from '../policies/core/normalizer.ts';
export { DiffusionPolicy, DiffusionPolicyConfig } from '../policies/diffusion/policy.ts';
export { DDPMScheduler, DDIMScheduler } from '../policies/diffusion/schedulers.ts';
export { MlpBcPolicy } from '../policies/baselines/mlp-bc.ts';
export { RandomPolicy } from '../policies/baselines/random.ts';

export { initBackend, BACKENDS, type BackendChoice } from './backend.ts';
export { ReplayBuffer } from './data/replay-buffer.ts';
export { collect, collectConfig } from './collect/collect.ts';
export { stateLabelInput } from './collect/experts.ts';
export { parseRunConfig, prepareRun, trainRun, RunConfig } from './train/run.ts';
export { rollout, type EpisodeRecord } from './eval/rollout.ts';
export { evaluate, testSeeds, type EvalInfo } from './eval/evaluate.ts';
export { evalRun } from './eval/eval-run.ts';
export { runBench } from './bench/bench.ts';
export { Renderer, RenderInputError, type RendererOptions, type RendererInfo, type ImageSize } from './render/renderer.ts';
export { PixelRenderer, withPixels, lowDimOf } from './render/pixels.ts';
export { sceneFor } from './render/scenes.ts';
export { EpisodeVideos, type VideoOptions } from './render/video.ts';
export { GifWriter } from './render/gif.ts';
export { encodePng, decodePng } from './render/png.ts';
export { PUSHT_SCENE } from '../envs/push-t/scene.ts';
export { BLOCKSTACK_SCENE } from '../envs/block-stack/scene.ts';
export type { SceneDescription, SceneObject, Primitive, Camera, Pose } from '../envs/core/scene.ts';
