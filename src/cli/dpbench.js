#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
