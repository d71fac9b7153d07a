/**
 * A test policy that acts from the camera image alone: it finds the block in the newest image (its
 * colours) and aims the agent at the block's pixel centroid. It checks, on every call, that each image
 * shows the agent where that step's `agent_pos` says (so images and low-dim history stay in step), and
 * keeps a digest of every image it saw.
 */
import { createHash } from 'node:crypto';
import type { ObsBatch, Policy, PolicyConfig } from '../../policies/core/policy.ts';
import { COLOURS, mask } from './helpers.ts';

export class PixelChaser implements Policy {
  readonly config: PolicyConfig = { id: 'pixel-chaser', obsHorizon: 2, predictionHorizon: 9, actionHorizon: 8, obsDim: 2, actionDim: 2 };
  /** Agent centroid in the image vs agent_pos, world px, per (call, row, t) where the disc is fully visible. */
  readonly agentErrors: number[] = [];
  readonly digests: string[] = [];
  calls = 0;
  onCall?: (call: number) => void;

  constructor(private readonly side = 96) {}

  reset(): void {}

  async predictChunk(obs: ObsBatch): Promise<Float32Array[]> {
    const { batchSize: B, obsHorizon: To, obsDim: Do, data, images } = obs;
    const px = this.side * this.side * 3;
    if (!images || images.length !== B * To * px) throw new Error(`pixel-chaser: expected ${B}×${To} images of ${px} bytes, got ${images?.length}`);
    const scale = 512 / this.side;
    const out: Float32Array[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < To; t++) {
        const img = images.subarray((b * To + t) * px, (b * To + t + 1) * px);
        this.digests.push(createHash('sha256').update(img).digest('hex').slice(0, 16));
        const disc = mask(img, this.side, [COLOURS.royalBlue, COLOURS.royalBlueLight]);
        // Fully visible disc (radius 15 → ≈ 25 px at 96²): compare its centroid with agent_pos.
        if (disc.count >= 0.85 * Math.PI * (15 / scale) ** 2) {
          const [ax, ay] = data.subarray((b * To + t) * Do, (b * To + t) * Do + 2);
          this.agentErrors.push(Math.hypot(disc.cx * scale - ax, disc.cy * scale - ay));
        }
      }
      const newest = images.subarray((b * To + To - 1) * px, (b * To + To) * px);
      const block = mask(newest, this.side, [COLOURS.lightSlateGray, COLOURS.lightSlateGrayLight]);
      const target = block.count > 0 ? [block.cx * scale, block.cy * scale] : [256, 256];
      const chunk = new Float32Array(this.config.actionHorizon * 2);
      for (let k = 0; k < this.config.actionHorizon; k++) chunk.set(target, 2 * k);
      out.push(chunk);
    }
    this.calls++;
    this.onCall?.(this.calls);
    return out;
  }
}
