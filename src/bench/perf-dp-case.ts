/** One Diffusion Policy timing case in a fresh process (see perf-dp.ts); prints one JSON line. */
import { initBackend, type BackendChoice } from '../backend.ts';
import { timeCase } from './perf-dp.ts';

const [name, backend = 'wasm', workers] = process.argv.slice(2);
await initBackend(backend as BackendChoice);
console.log(JSON.stringify(await timeCase(name, workers ? Number(workers) : undefined)));
