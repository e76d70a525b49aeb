#!/usr/bin/env node
// The `souk` command. Souk is written in TypeScript and runs from source through tsx, so a checkout
// needs no build step: `npm install && npm start` is all.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
