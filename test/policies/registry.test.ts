import { describe, expect, it } from 'vitest';
import { policyIds, policyRegistration, registerPolicy } from '../../policies/index.ts';
import { LinearNormalizer } from '../../policies/core/normalizer.ts';

const normalizers = (Do: number, Da: number) => ({
  obs: LinearNormalizer.fit(Float32Array.from({ length: 4 * Do }, (_, i) => i % 7), Do),
  action: LinearNormalizer.fit(Float32Array.from({ length: 4 * Da }, (_, i) => i % 5), Da),
});

describe('policy registry', () => {
  it('holds both Diffusion Policy variants and the MLP-BC baseline, with the original per-variant recipes', () => {
    expect(policyIds()).toEqual(['diffusion_unet', 'diffusion_transformer', 'mlp_bc']);
    expect(policyRegistration('diffusion_unet').trainDefaults).toEqual({ betas: [0.95, 0.999], warmupSteps: 500 });
    expect(policyRegistration('diffusion_transformer').trainDefaults).toEqual({ betas: [0.9, 0.95], warmupSteps: 1000 });
    expect(policyRegistration('diffusion_transformer').policyDefaults!({ id: 'diffusion_transformer' }).weightDecay).toBe(0.1);
    expect(policyRegistration('mlp_bc').stochastic).toBe(false);
  });

  it('makes a policy from a run config plus the env dims', () => {
    const cfg = policyRegistration('mlp_bc').runSchema.parse({ id: 'mlp_bc', width: 8, depth: 2 });
    const p = policyRegistration('mlp_bc').make({ ...cfg, obsDim: 5, actionDim: 2 }, normalizers(5, 2));
    // input Linear (2·5 → 8) + one block of two 8×8 Linears + head (8 → 16·2), weights and biases.
    expect(p.parameterCount()).toBe(10 * 8 + 8 + 2 * (8 * 8 + 8) + 8 * 32 + 32);
    p.dispose();
  });

  it('names the known ids when asked for an unknown one, and refuses a second registration of an id', () => {
    expect(() => policyRegistration('lstm_gmm')).toThrow(/policy\.id: expected one of diffusion_unet, diffusion_transformer, mlp_bc, got "lstm_gmm"/);
    expect(() => registerPolicy({ ...policyRegistration('mlp_bc') })).toThrow(/"mlp_bc" is already registered/);
  });
});
