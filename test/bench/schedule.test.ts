import { describe, expect, it } from 'vitest';
import { PROFILES, type BenchProfile, type PolicyEntry, type TaskEntry, type TrainedEntry } from '../../src/bench/profiles.ts';
import { checkProfile, mergeOver, taskEntries } from '../../src/bench/schedule.ts';
import { parseRunConfig } from '../../src/train/run.ts';

const dpc: TrainedEntry = {
  kind: 'trained',
  policy: { id: 'diffusion_unet', unet: { downDims: [16, 32], diffusionStepEmbedDim: 16, kernelSize: 3 }, inference: { scheduler: 'ddim', steps: 8 } },
  train: { steps: 60, batchSize: 32, lr: 1e-3, checkpointEvery: 60 },
};
const dpt: TrainedEntry = { kind: 'trained', policy: { id: 'diffusion_transformer', transformer: { nLayer: 1, nHead: 2, nEmb: 32 } }, train: { steps: 60, batchSize: 32 } };
const mlp: TrainedEntry = { kind: 'trained', policy: { id: 'mlp_bc', width: 64, depth: 2 }, train: { steps: 100, batchSize: 32 } };

function profileWith(tasks: TaskEntry[], over: Partial<BenchProfile> = {}): BenchProfile {
  return {
    name: 'smoke',
    description: 'schedule test',
    tasks,
    demos: 20,
    episodes: 10,
    nEnvs: 10,
    trainingSeeds: [0],
    lastK: 1,
    policies: [{ kind: 'expert' }, { kind: 'random' }, dpc, dpt, mlp],
    latency: { ddimSteps: 8, reps: 1 },
    diversity: { K: 4 },
    ...over,
  };
}

const names = (es: PolicyEntry[]) => es.map((e) => (e.kind === 'trained' ? e.policy.id : e.kind));
const keypoints: TaskEntry = { env: 'PushT-v0', obsType: 'keypoints' };
const pixels: TaskEntry = { env: 'PushT-v0', obsType: 'pixels_agent_pos' };

describe('taskEntries (what a profile runs on a task)', () => {
  it('a low-dim task runs every entry as declared: the very objects of the profile, so its run configs cannot change', () => {
    const p = profileWith([keypoints, pixels]);
    const es = taskEntries(p, keypoints);
    expect(es).toHaveLength(p.policies.length);
    es.forEach((e, i) => expect(e).toBe(p.policies[i]));
  });

  it('an image task runs only policies with an image encoder (never MLP-BC), and no expert/random rows when a low-dim task of its env scores them', () => {
    expect(names(taskEntries(profileWith([keypoints, pixels]), pixels))).toEqual(['diffusion_unet', 'diffusion_transformer']);
    // Without a low-dim task on the env, the image task scores the baselines itself.
    const stack: TaskEntry = { env: 'BlockStack-v0', obsType: 'pixels_agent_pos' };
    expect(names(taskEntries(profileWith([keypoints, stack]), stack))).toEqual(['expert', 'random', 'diffusion_unet', 'diffusion_transformer']);
  });

  it("`trained` picks entries by policy id in the profile's order and merges each override: objects field by field, arrays and values replaced", () => {
    const task: TaskEntry = {
      ...pixels,
      trained: { diffusion_transformer: {}, diffusion_unet: { policy: { unet: { downDims: [8] }, vision: { resnetWidth: 16 } }, train: { steps: 5, batchSize: 8 } } },
    };
    const [u, t] = taskEntries(profileWith([keypoints, task]), task) as TrainedEntry[];
    expect(u.policy).toEqual({ id: 'diffusion_unet', unet: { downDims: [8], diffusionStepEmbedDim: 16, kernelSize: 3 }, inference: { scheduler: 'ddim', steps: 8 }, vision: { resnetWidth: 16 } });
    expect(u.train).toEqual({ steps: 5, batchSize: 8, lr: 1e-3, checkpointEvery: 60 });
    expect(t).toBe(dpt); // `{}`: as declared
    // The profile's entry is left as it was.
    expect(dpc.policy.unet).toEqual({ downDims: [16, 32], diffusionStepEmbedDim: 16, kernelSize: 3 });
    expect(mergeOver({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('refuses what cannot run, naming the profile, the task and the value', () => {
    const bad = (trained: TaskEntry['trained'], task: TaskEntry = pixels) => () => taskEntries(profileWith([keypoints, { ...task, trained }]), { ...task, trained });
    expect(bad({ mlp_bc: {} })).toThrow(/bench profile smoke, task PushT-v0 \(pixels_agent_pos\): mlp_bc has no image encoder and cannot run on pixels_agent_pos; image tasks run diffusion_unet, diffusion_transformer/);
    expect(bad({ diffusion_foo: {} } as never)).toThrow(/`trained` names "diffusion_foo", which the profile does not train; its trained entries: diffusion_unet, diffusion_transformer, mlp_bc/);
    expect(bad({ diffusion_unet: { policy: { id: 'mlp_bc' } } }, keypoints)).toThrow(/override of diffusion_unet sets policy.id \("mlp_bc"\)/);
    const twice = profileWith([keypoints], { policies: [dpc, dpc] });
    expect(() => taskEntries(twice, { ...keypoints, trained: { diffusion_unet: {} } })).toThrow(/trains diffusion_unet, diffusion_unet \(an id twice\)/);
  });
});

describe('checkProfile', () => {
  it('refuses two tasks with one leaderboard key, and tasks on one env with different demonstrations', () => {
    expect(() => checkProfile(profileWith([keypoints, { ...keypoints }]))).toThrow(/two tasks PushT-v0 \(keypoints\)/);
    expect(() => checkProfile(profileWith([keypoints, { ...pixels, demos: 5 }]))).toThrow(/tasks on PushT-v0 use 20 and 5 demonstrations/);
    expect(() => checkProfile(profileWith([keypoints, { ...pixels, trained: { mlp_bc: {} } }]))).toThrow(/mlp_bc has no image encoder/);
  });
});

describe('the bench profiles', () => {
  const all = Object.values(PROFILES);
  const trainedOf = (p: BenchProfile, t: TaskEntry) => taskEntries(p, t).filter((e): e is TrainedEntry => e.kind === 'trained');
  const imageTask = (p: BenchProfile) => p.tasks.find((t) => t.obsType === 'pixels_agent_pos')!;

  it('each passes checkProfile; its low-dim tasks run the declared entries unchanged; its image task PushT-v0 runs no MLP-BC and no baselines', () => {
    for (const p of all) {
      checkProfile(p);
      for (const t of p.tasks.filter((t) => t.obsType !== 'pixels_agent_pos')) {
        const es = taskEntries(p, t);
        expect(es).toHaveLength(p.policies.length);
        es.forEach((e, i) => expect(e).toBe(p.policies[i]));
      }
      const img = imageTask(p);
      expect(img.env, p.name).toBe('PushT-v0');
      expect(names(taskEntries(p, img)).some((n) => n === 'mlp_bc' || n === 'expert' || n === 'random'), p.name).toBe(false);
    }
  });

  it('every trained row of every task keeps at least lastK checkpoints to evaluate', () => {
    for (const p of all) {
      for (const t of p.tasks) {
        for (const e of trainedOf(p, t)) {
          const k = t.stepScale ?? 1;
          const steps = Math.round(e.train.steps * k);
          const every = Math.max(1, Math.round(((e.train.checkpointEvery as number | undefined) ?? steps) * k));
          expect(Math.floor(steps / every), `${p.name} ${t.env} ${t.obsType} ${e.policy.id}`).toBeGreaterThanOrEqual(p.lastK);
        }
      }
    }
  });

  it("image rows parse as run configs: smoke's is tiny, quick's encoder narrow, paper's the original's image configs (facts §3.2–3.4, §3.8)", () => {
    const cfg = (p: BenchProfile, id: string) => {
      const t = imageTask(p);
      const e = trainedOf(p, t).find((x) => x.policy.id === id)!;
      return parseRunConfig({ env: t.env, obsType: t.obsType, policy: e.policy, train: e.train });
    };
    const smoke = cfg(PROFILES.smoke, 'diffusion_unet');
    expect(smoke.policy).toMatchObject({ vision: { resnetWidth: 16 } });
    expect('vision' in smoke.policy && smoke.policy.vision!.cropShape![0]).toBeLessThanOrEqual(84);
    expect(smoke.train).toMatchObject({ batchSize: 8 });
    expect(smoke.train.steps).toBeLessThanOrEqual(50);
    expect(trainedOf(PROFILES.smoke, imageTask(PROFILES.smoke)).map((e) => e.policy.id)).toEqual(['diffusion_unet']);

    const quick = cfg(PROFILES.quick, 'diffusion_unet');
    expect(quick.policy).toMatchObject({ vision: { resnetWidth: 16, cropShape: [84, 84] }, inference: { scheduler: 'ddim', steps: 16 } });

    // DP-C image Push-T: step embedding 128, down dims [512, 1024, 2048], kernel 5, 8 groups; the encoder at the
    // original's defaults (ResNet-18 width 64, 32 keypoints, feature 64, 84×84 crops); AdamW lr 1e-4 at batch 64, betas
    // (0.95, 0.999), 500 warm-up steps; DDPM with 100 steps.
    const c = cfg(PROFILES.paper, 'diffusion_unet');
    expect(c.policy).toMatchObject({
      unet: { diffusionStepEmbedDim: 128, downDims: [512, 1024, 2048], kernelSize: 5, nGroups: 8 },
      vision: { resnetWidth: 64, numKeypoints: 32, featureDim: 64, cropShape: [84, 84] },
      inference: { scheduler: 'ddpm', steps: 100 },
    });
    expect(c.train).toMatchObject({ batchSize: 64, lr: 1e-4, betas: [0.95, 0.999], warmupSteps: 500 });
    // ~3,000 epochs of 200 demonstrations (≈ 28.5k windows) at batch 64.
    expect(c.train.steps * 64 / 28_500).toBeGreaterThan(2900);
    expect(c.train.steps * 64 / 28_500).toBeLessThan(3100);
    // DP-T hybrid: horizon 10, attention dropout 0.3, weight decay 1e-3 (encoder 1e-6), betas (0.9, 0.95), warm-up 1000.
    const t = cfg(PROFILES.paper, 'diffusion_transformer');
    expect(t.policy).toMatchObject({ predictionHorizon: 10, obsHorizon: 2, actionHorizon: 8, weightDecay: 1e-3, transformer: { pDropAttn: 0.3, nLayer: 8, nEmb: 256 }, vision: { weightDecay: 1e-6 } });
    expect(t.train).toMatchObject({ batchSize: 64, lr: 1e-4, betas: [0.9, 0.95], warmupSteps: 1000 });
  });
});
