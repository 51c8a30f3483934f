/**
 * The fitted forecast model and the backtest that vouches for it, kept in the table: `MODEL/CURRENT`
 * is what the snapshot uses, `MODEL/FITTED#<date>` keeps each refit for audit.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Evaluation } from '../domain/forecast/evaluate';
import { isCompatible } from '../domain/forecast/model';
import type { Band, ScorecardModel } from '../domain/forecast/types';
import type { Day } from '../domain/types';
import { keys } from './keys';

/** What a refit stores: the model and how its walk-forward forecasts did over the last year. */
export interface StoredModel {
  model: ScorecardModel;
  backtest: {
    from: Day;
    to: Day;
    evaluation: Evaluation;
    baselines: { fixedPoints: Evaluation; activeDaysAuc: number | null };
    saveList: { churners: number; onSaveList: number };
    /** The customers the fit and its figures read, and their share of the book (absent before sampling). */
    sample?: { customers: number; share: number };
  } | null;
  storedAt: string;
}

export class ModelStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The current model, or undefined when none was fitted yet or it was fitted for other features. */
  async current(): Promise<StoredModel | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: keys.currentModel() }));
    if (typeof out.Item?.stored !== 'string') return undefined;
    const stored = JSON.parse(out.Item.stored) as StoredModel;
    return isCompatible(stored.model) ? stored : undefined;
  }

  async save(stored: StoredModel): Promise<void> {
    const body = JSON.stringify(stored);
    const fittedAt = stored.model.fittedAt ?? stored.storedAt.slice(0, 10);
    await this.dynamo.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.fittedModel(fittedAt), type: 'model', stored: body } }),
    );
    await this.dynamo.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.currentModel(), type: 'model', fittedAt, stored: body } }),
    );
  }

  /** The latest snapshot before `asOf`: its bands give the hysteresis of this run. */
  async previousSnapshotBandsKey(asOf: Day): Promise<string | undefined> {
    const out = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :asOf',
        ExpressionAttributeValues: { ':pk': keys.snapshot(asOf).pk, ':asOf': asOf },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const key = out.Items?.[0]?.bandsKey;
    return typeof key === 'string' ? key : undefined;
  }
}

/** Bands file: red and yellow customers only (green is the default), compact for large books. */
export function encodeBands(bands: ReadonlyMap<string, Band>): string {
  const out: { red: string[]; yellow: string[] } = { red: [], yellow: [] };
  for (const [id, band] of bands) if (band !== 'green') out[band].push(id);
  out.red.sort();
  out.yellow.sort();
  return JSON.stringify(out);
}

export function decodeBands(body: string): Map<string, Band> {
  const parsed = JSON.parse(body) as { red?: unknown; yellow?: unknown };
  const out = new Map<string, Band>();
  for (const band of ['red', 'yellow'] as const) {
    const ids = parsed[band];
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') out.set(id, band);
  }
  return out;
}
