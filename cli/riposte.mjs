#!/usr/bin/env node
// The `riposte` bin: registers tsx (resolved from this file, so it works from any directory) and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import('./riposte.ts');
