import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AslDefinition, AslState } from '../lib/asl';

/**
 * A small local runner of Amazon States Language, for the embedded stack: it executes the definition
 * the CDK stack deploys (lib/large-file-definition.ts, lib/snapshot-definition.ts) with the same Lambda
 * handlers in-process. It knows exactly the parts of ASL those definitions use (Task on lambda:invoke,
 * a DISTRIBUTED Map with an S3 JSON ItemReader, an INLINE Map over ItemsPath, Fail, Succeed;
 * Parameters/ItemSelector/ResultSelector, ResultPath, Retry, Catch, MaxConcurrency), and refuses any
 * other field, so a definition that grows past it fails the tests instead of running differently.
 * (No npm ASL interpreter supports Distributed Map's ItemReader.)
 */
export interface RunnerOptions {
  /** Runs a Lambda task: the function named in the definition, with the payload; resolves to its result. */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
  /** For the Distributed Map's ItemReader. */
  s3: S3Client;
  /** Multiplies Retry intervals (0 in tests: retry at once). Default 1. */
  retryDelayScale?: number;
  /** Every state entered and every retry, for tests and progress. */
  onEvent?: (event: ExecutionEvent) => void;
}

export type ExecutionEvent =
  | { type: 'enter'; state: string; mapItem?: number }
  | { type: 'retry'; state: string; error: string; attempt: number; mapItem?: number }
  | { type: 'catch'; state: string; error: string };

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** An error as Step Functions names it: the Lambda error type (or a States.* name) and its cause. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
  }
}

type Json = unknown;
interface Context {
  Execution: { Name: string; Input: Json };
  Map?: { Item: { Index: number; Value: Json } };
}

const ALLOWED: Record<string, Set<string>> = {
  Task: new Set(['Type', 'Resource', 'Parameters', 'ResultSelector', 'ResultPath', 'Retry', 'Catch', 'Next', 'End', 'Comment']),
  Map: new Set([
    'Type',
    'ItemReader',
    'ItemsPath',
    'ItemSelector',
    'ItemProcessor',
    'MaxConcurrency',
    'Label',
    'ResultPath',
    'Catch',
    'Next',
    'End',
    'Comment',
  ]),
  Fail: new Set(['Type', 'Error', 'Cause', 'Comment']),
  Succeed: new Set(['Type', 'Comment']),
};
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';

/** Checks that the runner understands every state and field of `definition` (throws naming the first it does not). */
export function assertSupported(definition: { StartAt: string; States: Record<string, AslState> }, where = ''): void {
  if (!(definition.StartAt in definition.States)) throw new Error(`${where}StartAt ${definition.StartAt} is not a state`);
  for (const [name, state] of Object.entries(definition.States)) {
    const type = String(state.Type);
    const allowed = ALLOWED[type];
    if (!allowed) throw new Error(`${where}${name}: state type ${type} is not supported by the local runner`);
    for (const field of Object.keys(state)) {
      if (!allowed.has(field)) throw new Error(`${where}${name}: field ${field} of a ${type} state is not supported by the local runner`);
    }
    if (type === 'Task' && state.Resource !== LAMBDA_INVOKE) throw new Error(`${where}${name}: only ${LAMBDA_INVOKE} tasks are supported`);
    if (type === 'Map') {
      const reader = state.ItemReader as { Resource?: string; ReaderConfig?: { InputType?: string } } | undefined;
      if (reader && (reader.Resource !== S3_GET_OBJECT || reader.ReaderConfig?.InputType !== 'JSON')) {
        throw new Error(`${where}${name}: only an ItemReader of ${S3_GET_OBJECT} with InputType JSON is supported`);
      }
      const processor = state.ItemProcessor as { StartAt: string; States: Record<string, AslState>; ProcessorConfig?: { Mode?: string } };
      const mode = processor.ProcessorConfig?.Mode ?? 'INLINE';
      if (mode === 'DISTRIBUTED' ? !reader || 'ItemsPath' in state : mode !== 'INLINE' || reader || !('ItemsPath' in state)) {
        throw new Error(`${where}${name}: a Map must be DISTRIBUTED with an ItemReader or INLINE with an ItemsPath`);
      }
      assertSupported(processor, `${where}${name}/`);
    }
  }
}

export async function runStateMachine(
  definition: AslDefinition,
  input: Json,
  executionName: string,
  options: RunnerOptions,
): Promise<ExecutionResult> {
  assertSupported(definition);
  const context: Context = { Execution: { Name: executionName, Input: input } };
  try {
    const output = await runStates(definition, input, context, options);
    return { status: 'SUCCEEDED', output };
  } catch (err) {
    if (err instanceof StatesError) return { status: 'FAILED', error: err.error, cause: err.cause };
    throw err;
  }
}

async function runStates(
  machine: { StartAt: string; States: Record<string, AslState> },
  input: Json,
  context: Context,
  options: RunnerOptions,
): Promise<Json> {
  let name = machine.StartAt;
  let data = input;
  for (;;) {
    const state = machine.States[name]!;
    options.onEvent?.({ type: 'enter', state: name, mapItem: context.Map?.Item.Index });
    if (state.Type === 'Fail') throw new StatesError(String(state.Error), String(state.Cause ?? ''));
    if (state.Type === 'Succeed') return data;
    let next: string | undefined;
    try {
      const result =
        state.Type === 'Task' ? await runTask(name, state, data, context, options) : await runMap(state, data, context, options);
      data = applyResultPath(data, result, state.ResultPath);
      next = state.Next as string | undefined;
    } catch (err) {
      const failure = asStatesError(err);
      const handler = (state.Catch as { ErrorEquals: string[]; ResultPath?: string | null; Next: string }[] | undefined)?.find((c) =>
        matches(c.ErrorEquals, failure.error),
      );
      if (!handler) throw failure;
      options.onEvent?.({ type: 'catch', state: name, error: failure.error });
      data = applyResultPath(data, { Error: failure.error, Cause: failure.cause }, handler.ResultPath);
      next = handler.Next;
    }
    if (state.End === true || next === undefined) return data;
    name = next;
  }
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}

async function runTask(name: string, state: AslState, data: Json, context: Context, options: RunnerOptions): Promise<Json> {
  const params = evaluate(state.Parameters, data, context) as { FunctionName: string; Payload: Json };
  const retriers = (state.Retry as Retrier[] | undefined) ?? [];
  const attempts = new Map<Retrier, number>();
  for (;;) {
    try {
      const payload = await options.invoke(params.FunctionName, params.Payload);
      // lambda:invoke's result: the function's answer under Payload.
      const result = { Payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)), StatusCode: 200 };
      return state.ResultSelector ? evaluate(state.ResultSelector, result, context) : result;
    } catch (err) {
      const failure = asStatesError(err);
      const retrier = retriers.find((r) => matches(r.ErrorEquals, failure.error));
      const done = attempts.get(retrier!) ?? 0;
      if (!retrier || done >= (retrier.MaxAttempts ?? 3)) throw failure;
      attempts.set(retrier, done + 1);
      options.onEvent?.({ type: 'retry', state: name, error: failure.error, attempt: done + 1, mapItem: context.Map?.Item.Index });
      const delay = (retrier.IntervalSeconds ?? 1) * 1000 * (retrier.BackoffRate ?? 2) ** done * (options.retryDelayScale ?? 1);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function mapItems(state: AslState, data: Json, context: Context, options: RunnerOptions): Promise<Json[]> {
  if (typeof state.ItemsPath === 'string') {
    const items = readPath(state.ItemsPath, data, context);
    if (!Array.isArray(items)) throw new StatesError('States.Runtime', `The ItemsPath ${state.ItemsPath} is not an array`);
    return items;
  }
  const reader = state.ItemReader as { Parameters: Record<string, unknown> };
  const { Bucket, Key } = evaluate(reader.Parameters, data, context) as { Bucket: string; Key: string };
  const out = await options.s3.send(new GetObjectCommand({ Bucket, Key }));
  const items = JSON.parse(await out.Body!.transformToString('utf-8')) as Json[];
  if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `s3://${Bucket}/${Key} is not a JSON array`);
  return items;
}

async function runMap(state: AslState, data: Json, context: Context, options: RunnerOptions): Promise<Json> {
  const items = await mapItems(state, data, context, options);
  const processor = state.ItemProcessor as { StartAt: string; States: Record<string, AslState>; ProcessorConfig?: { Mode?: string } };
  const inline = processor.ProcessorConfig?.Mode !== 'DISTRIBUTED';
  const limit = Math.max(1, Number(state.MaxConcurrency ?? 0) || items.length);
  const results: Json[] = new Array(items.length);
  let next = 0;
  let failure: StatesError | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      const itemContext: Context = { ...context, Map: { Item: { Index: index, Value: items[index] } } };
      const itemInput = state.ItemSelector ? evaluate(state.ItemSelector, data, itemContext) : items[index];
      try {
        results[index] = await runStates(processor, itemInput, itemContext, options);
      } catch (err) {
        // One failed item fails the map, after the running ones end: an inline map with the item's
        // error, a distributed one (ToleratedFailurePercentage 0, the default) with its own.
        failure ??= inline
          ? asStatesError(err)
          : new StatesError('States.ExceedToleratedFailureThreshold', `item ${index} failed: ${asStatesError(err).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure;
  return results;
}

function asStatesError(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  const e = err as { name?: string; message?: string; stack?: string };
  // What Lambda reports for an uncaught error: its name as the error, a JSON cause.
  return new StatesError(e?.name || 'Error', JSON.stringify({ errorType: e?.name || 'Error', errorMessage: e?.message ?? String(err) }));
}

function matches(errorEquals: string[], error: string): boolean {
  if (errorEquals.includes('States.ALL') || errorEquals.includes(error)) return true;
  return errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout' && !error.startsWith('States.');
}

/** Parameters-style templates: a key ending in `.$` takes the value at a path of the input (`$…`) or context (`$$…`). */
function evaluate(template: unknown, data: Json, context: Context): Json {
  if (Array.isArray(template)) return template.map((t) => evaluate(t, data, context));
  if (typeof template !== 'object' || template === null) return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = readPath(String(value), data, context);
    else out[key] = evaluate(value, data, context);
  }
  return out;
}

function readPath(path: string, data: Json, context: Context): Json {
  if (!path.startsWith('$')) throw new StatesError('States.Runtime', `unsupported path ${path}`);
  const fromContext = path.startsWith('$$');
  const rest = path.slice(fromContext ? 2 : 1);
  let value: Json = fromContext ? context : data;
  for (const part of rest.split('.').filter(Boolean)) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value as object, part)) {
      throw new StatesError('States.Runtime', `The JSONPath ${path} could not be found in the input`);
    }
    value = (value as Record<string, Json>)[part];
  }
  return value;
}

function applyResultPath(data: Json, result: Json, resultPath: unknown): Json {
  if (resultPath === null) return data;
  if (resultPath === undefined || resultPath === '$') return result;
  const parts = String(resultPath)
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  const copy = JSON.parse(JSON.stringify(data ?? {})) as Record<string, Json>;
  let node = copy;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, Json>;
  }
  node[parts.at(-1)!] = result;
  return copy;
}
