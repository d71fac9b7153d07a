/** The scene description of each registered task, by env id (each task's `scene.ts`). */
import type { SceneDescription } from '../../envs/core/scene.ts';
import { PUSHT_SCENE } from '../../envs/push-t/scene.ts';
import { BLOCKSTACK_SCENE } from '../../envs/block-stack/scene.ts';

const SCENES: Record<string, SceneDescription> = {
  [PUSHT_SCENE.id]: PUSHT_SCENE,
  [BLOCKSTACK_SCENE.id]: BLOCKSTACK_SCENE,
};

export function sceneFor(envId: string): SceneDescription {
  const scene = SCENES[envId];
  if (!scene) throw new Error(`no scene description for env ${JSON.stringify(envId)} (it cannot be rendered); scenes exist for: ${Object.keys(SCENES).join(', ')}`);
  return scene;
}
