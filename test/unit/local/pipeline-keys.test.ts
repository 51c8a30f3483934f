import { describe, expect, it } from 'vitest';
import { uniqueKeys } from '../../../local/pipeline';

describe('local run S3 keys', () => {
  it('gives same-named files from different folders their own objects', () => {
    const keys = uniqueKeys([
      { path: 'a/invoices.csv', key: 'exports/invoices.csv' },
      { path: 'b/invoices.csv', key: 'exports/invoices.csv' },
      { path: 'c/invoices.csv', key: 'exports/invoices.csv' },
      { path: 'customers.csv', key: 'exports/customers.csv' },
    ]).map((f) => f.key);
    expect(keys).toEqual(['exports/invoices.csv', 'exports/2/invoices.csv', 'exports/3/invoices.csv', 'exports/customers.csv']);
  });
});
