#!/usr/bin/env node
// The package's bin: runs the TypeScript CLI through tsx (no build step).
// The handlers' structured logs go to stderr so stdout carries only the CLI's output (`--json`),
// at WARN unless CHURNWATCH_LOG_LEVEL says otherwise; EMF metrics are off locally.
import { register } from 'tsx/esm/api';

process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL = process.env.CHURNWATCH_LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
console.log = console.error;
console.info = console.error;
console.debug = console.error;

register();
await import('./churnwatch.ts');
