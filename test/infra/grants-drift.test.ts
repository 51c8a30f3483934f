import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { handlerEntry, type FunctionName } from '../../lib/function';
import { TABLE_ACCESS } from '../../lib/grants';

const root = join(__dirname, '../..');

/** lib-dynamodb / client-dynamodb command → the IAM action it needs. */
const ACTION_OF: Record<string, string> = {
  BatchGet: 'BatchGetItem',
  BatchGetItem: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  BatchWriteItem: 'BatchWriteItem',
  Get: 'GetItem',
  GetItem: 'GetItem',
  Put: 'PutItem',
  PutItem: 'PutItem',
  Update: 'UpdateItem',
  UpdateItem: 'UpdateItem',
  Delete: 'DeleteItem',
  DeleteItem: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  DescribeTable: 'DescribeTable',
};
/** Inside a TransactWriteItems each element is authorised as its own action. */
const TRANSACT_ELEMENT: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
};

/**
 * The function's bundle as esbuild builds it for Lambda, tree-shaken, not minified: only code the
 * handler can reach is left, so a helper module imported for one function does not count its commands.
 */
async function bundleOf(name: FunctionName): Promise<string> {
  const result = await build({
    entryPoints: [handlerEntry(name)],
    absWorkingDir: root,
    bundle: true,
    write: false,
    treeShaking: true,
    platform: 'node',
    format: 'esm',
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The DynamoDB actions the code sends, read from `new XCommand(` in the bundle. */
function dynamoActions(code: string): Set<string> {
  const imported = new Set(
    [...code.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/(?:lib-dynamodb|client-dynamodb)"/g)].flatMap((m) =>
      m[1]!.split(',').map(
        (s) =>
          s
            .trim()
            .split(/\s+as\s+/)
            .at(-1)!,
      ),
    ),
  );
  const actions = new Set<string>();
  for (const m of code.matchAll(/new (\w+?)Command\d*\(/g)) {
    const command = m[1]!;
    if (![...imported].some((i) => i.replace(/\d+$/, '') === `${command}Command`)) continue;
    if (command === 'TransactWrite' || command === 'TransactWriteItems') {
      for (const el of code.matchAll(/\{\s*(Put|Update|Delete|ConditionCheck):/g)) actions.add(`dynamodb:${TRANSACT_ELEMENT[el[1]!]}`);
      continue;
    }
    const action = ACTION_OF[command];
    if (!action) throw new Error(`no IAM action known for ${command}Command; add it to ACTION_OF`);
    actions.add(`dynamodb:${action}`);
  }
  // The SDK's paginators (paginateScan, paginateQuery) send their command from inside the SDK.
  for (const m of code.matchAll(/\bpaginate(\w+?)\d*\(/g)) {
    const operation = m[1]!;
    if (![...imported].some((i) => i.replace(/\d+$/, '') === `paginate${operation}`)) continue;
    const action = ACTION_OF[operation];
    if (!action) throw new Error(`no IAM action known for paginate${operation}; add it to ACTION_OF`);
    actions.add(`dynamodb:${action}`);
  }
  return actions;
}

describe('lib/grants.ts TABLE_ACCESS matches what the bundled code sends', () => {
  it.each(Object.keys(TABLE_ACCESS) as FunctionName[])('%s', async (name) => {
    const used = dynamoActions(await bundleOf(name));
    const granted = new Set([...TABLE_ACCESS[name].table, ...(TABLE_ACCESS[name].profileIndex ?? [])]);
    expect([...granted].sort()).toEqual([...used].sort());
  });
});
