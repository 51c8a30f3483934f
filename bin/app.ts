#!/usr/bin/env -S npx tsx
import { buildApp } from '../lib/app';
import { ContextError } from '../lib/context';

try {
  buildApp().app.synth();
} catch (err) {
  if (err instanceof ContextError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
