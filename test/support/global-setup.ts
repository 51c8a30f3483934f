import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the DynamoDB Local shared by the whole run, when one was started. */
    dynamodbEndpoint?: string;
  }
}

/**
 * Starts one DynamoDB Local for the whole run (a JVM per test file costs ~1.5 s of both cores and
 * ~200 MB each). Each test file still creates its own table, and runs its own s3rver and SES
 * emulator, whose events must reach the worker process. Runs filtered to files that cannot need it
 * (no integration/e2e path in the filters) skip the JVM; CHURNWATCH_SHARED_DYNAMODB=0 disables it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  if (process.env.CHURNWATCH_SHARED_DYNAMODB === '0' || !mayNeedAws(project)) return;
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}

/**
 * Vitest has no public API for the CLI file filters, so they are read from argv. A misread only
 * costs time: a file that finds no shared endpoint starts its own DynamoDB Local.
 */
function mayNeedAws(_project: TestProject): boolean {
  const filters = process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith('-') && !['run', 'watch', 'dev', 'related'].includes(arg) && !arg.endsWith('vitest.mjs'));
  if (filters.length === 0) return true;
  return filters.some((f) => /integration|e2e|support|local/.test(f));
}
