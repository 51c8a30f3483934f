import { afterAll, beforeAll, inject } from 'vitest';
import { applyEnv, startEmbeddedStack, type EmbeddedStack, type EmbeddedStackOptions } from '../../local/stack';

export interface UseStackOptions extends EmbeddedStackOptions {
  /** Also point process.env (and the cached clients of lambdas/shared/aws-clients) at the stack. */
  applyEnv?: boolean;
}

/** The shared DynamoDB Local of the run (test/support/global-setup.ts), if one was started. */
export function sharedDynamoDbEndpoint(): string | undefined {
  try {
    return inject('dynamodbEndpoint');
  } catch {
    return undefined;
  }
}

/**
 * Starts an embedded stack for the current test file (beforeAll) and stops it after (afterAll).
 * Uses the run's shared DynamoDB Local when there is one; the table is always the file's own.
 * Read the stack through the returned getter inside tests and hooks:
 *
 *   const local = useEmbeddedStack({ applyEnv: true });
 *   it('...', async () => { await local.stack.clients.s3.send(...) });
 */
export function useEmbeddedStack(options: UseStackOptions = {}): { readonly stack: EmbeddedStack } {
  let stack: EmbeddedStack | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    const { applyEnv: apply, ...stackOptions } = options;
    stack = await startEmbeddedStack({ dynamodbEndpoint: sharedDynamoDbEndpoint(), ...stackOptions });
    if (apply) restoreEnv = applyEnv(stack);
  });
  afterAll(async () => {
    restoreEnv?.();
    await stack?.stop();
    stack = undefined;
  });
  return {
    get stack(): EmbeddedStack {
      if (!stack) throw new Error('the embedded stack is only available inside tests and hooks of this file');
      return stack;
    },
  };
}

/** What the snapshot and digest code needs of a stack: its clients, table and bucket. */
export const stackDeps = (stack: EmbeddedStack) => ({
  dynamo: stack.clients.dynamo,
  s3: stack.clients.s3,
  tableName: stack.tableName,
  bucketName: stack.bucketName,
});
