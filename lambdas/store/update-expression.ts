/**
 * Builds a DynamoDB UpdateExpression with its placeholders. Every attribute name goes through
 * `ExpressionAttributeNames` and every value through `ExpressionAttributeValues` under generated
 * placeholders, so names that come from data (feature names, days: `f:search`, `a:2026-11-24`) can
 * never be read as expression syntax or reserved words.
 */
export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export class UpdateExpression {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly adds: string[] = [];
  private readonly removes: string[] = [];
  private condition: string | undefined;
  private valueCount = 0;

  /** `SET name = value`. */
  set(name: string, value: unknown): this {
    this.sets.push(`${this.name(name)} = ${this.value(value)}`);
    return this;
  }

  /** `ADD name value`: a number added to a number, or elements added to a set. */
  add(name: string, value: unknown): this {
    this.adds.push(`${this.name(name)} ${this.value(value)}`);
    return this;
  }

  /** `REMOVE name`. */
  remove(name: string): this {
    this.removes.push(this.name(name));
    return this;
  }

  /**
   * Optimistic concurrency on a version attribute: the item must not have it yet when `expected` is 0,
   * and must still hold `expected` otherwise; the update sets it to `expected + 1`.
   */
  bumpVersion(name: string, expected: number): this {
    const placeholder = this.name(name);
    this.condition = expected === 0 ? `attribute_not_exists(${placeholder})` : `${placeholder} = ${this.value(expected)}`;
    return this.set(name, expected + 1);
  }

  build(): UpdateParts {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '',
      this.adds.length > 0 ? `ADD ${this.adds.join(', ')}` : '',
      this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '',
    ].filter(Boolean);
    if (clauses.length === 0) throw new Error('an update needs at least one SET, ADD or REMOVE');
    return {
      UpdateExpression: clauses.join(' '),
      ...(this.condition ? { ConditionExpression: this.condition } : {}),
      ExpressionAttributeNames: Object.fromEntries([...this.names].map(([name, placeholder]) => [placeholder, name])),
      // DynamoDB refuses an empty map: a REMOVE-only update has no values.
      ...(this.valueCount > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }

  private name(name: string): string {
    let placeholder = this.names.get(name);
    if (!placeholder) this.names.set(name, (placeholder = `#n${this.names.size}`));
    return placeholder;
  }

  private value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}
