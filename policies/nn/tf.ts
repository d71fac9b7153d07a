/**
 * The project's TensorFlow.js: the `@tensorflow/tfjs` bundle, whose Node build registers every gradient
 * and the pure-JS `cpu` backend (tfjs-core's own Node build registers no gradients, and its ESM files
 * cannot be deep-imported from Node). The wasm (CPU default), webgpu and tfjs-node backends are brought
 * in by `src/backend.ts`. Import tf from here, never from a tfjs package directly.
 */
export * from '@tensorflow/tfjs';
