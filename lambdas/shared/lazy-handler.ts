import type { Context } from 'aws-lambda';
import { runtimeFromEnv, type Runtime } from './runtime';

/**
 * A Lambda entry point whose dependencies are built from the environment on the first invocation,
 * then reused by the warm container. Importing a handler module therefore has no side effects, and
 * a bad environment fails the invocation with a message naming the variable.
 */
export function lazyHandler<E, R>(build: (runtime: Runtime) => (event: E, context: Context) => Promise<R>) {
  let built: ((event: E, context: Context) => Promise<R>) | undefined;
  return (event: E, context: Context): Promise<R> => {
    built ??= build(runtimeFromEnv());
    return built(event, context);
  };
}
