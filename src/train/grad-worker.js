// A gradient worker thread (data-parallel.ts) runs TypeScript through tsx's ESM loader, as the CLI does.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
