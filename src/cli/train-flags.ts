/**
 * `dpbench train`: a run config from an optional config file and the command's flags. A flag that is given
 * overrides the file's value; a flag that is not given leaves the file's value alone (so a BlockStack-v0
 * config stays BlockStack-v0 unless `--env` says otherwise); defaults fill only what neither names.
 */
export interface TrainFlags {
  env?: string;
  policy?: string;
  obs?: string;
  episodes?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  downDims?: number[];
  seed?: number;
  microBatch?: number;
  workers?: number;
}

/** The env trained on when neither the config nor `--env` names one. */
export const DEFAULT_TRAIN_ENV = 'PushT-v0';

type Obj = Record<string, any>;

/** The raw (unvalidated) run config: `base` (a parsed config file, or {}) with the given flags over it. */
export function mergeTrainFlags(base: Obj, f: TrainFlags): Obj {
  const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const raw: Obj = { ...base, env: f.env ?? base.env ?? DEFAULT_TRAIN_ENV };
  raw.policy = { ...(base.policy ?? {}), ...defined({ id: f.policy }) };
  if (f.downDims) raw.policy.unet = { ...(raw.policy.unet ?? {}), downDims: f.downDims };
  if (f.obs !== undefined) raw.obsType = f.obs;
  if (f.episodes !== undefined) raw.dataset = { ...(base.dataset ?? {}), episodes: f.episodes };
  raw.train = { ...(base.train ?? {}), ...defined({ steps: f.steps, batchSize: f.batchSize, lr: f.lr, seed: f.seed, microBatch: f.microBatch, workers: f.workers }) };
  return raw;
}
