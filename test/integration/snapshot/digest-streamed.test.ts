import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createDigestHandler } from '../../../lambdas/digest/handler';
import { isListed, renderDigest } from '../../../lambdas/digest/render';
import type { Snapshot } from '../../../lambdas/domain/types';
import { parseConfig, recipientDomainAllowed } from '../../../lambdas/shared/config';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { batchPut } from '../../../lambdas/store/batch';
import { ModelStore } from '../../../lambdas/store/model-store';
import { addDays } from '../../../lambdas/domain/dates';
import { DEFAULT_MODEL } from '../../../lambdas/domain/forecast/default-model';
import { readText } from '../../../local/pipeline';
import { profileItem, SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';
import { scaled } from '../../support/timeouts';
import { useEmbeddedStack } from '../../support/stack';

const local = useEmbeddedStack();
const context = { functionName: 'test', awsRequestId: 'r' } as Context;
const FALLBACK = 'cs@example.com';
const config = parseConfig({
  ...SYNTHETIC_SETTINGS,
  digest: { from: 'churnwatch@example.com', fallbackTo: FALLBACK, allowedRecipientDomains: ['example.com'] },
});

describe('the digest over a snapshot.json the snapshot function wrote', () => {
  it(
    'streams thousands of rows and mails each owner exactly what the whole document gives',
    async () => {
      const asOf = '2026-06-30';
      // 25 owners, some customers without one and some whose owner is outside the allowed domain.
      const customers = syntheticTimelines({ customers: 2500, asOf, seed: 21 }).map((c, i) => ({
        ...c,
        ownerEmail: i % 9 === 0 ? undefined : i % 13 === 0 ? `csm${i % 3}@elsewhere.example` : c.ownerEmail,
      }));
      const { dynamo, s3, ses } = local.stack.clients;
      const { tableName, bucketName } = local.stack;
      await batchPut(dynamo, tableName, customers.map(profileItem), 8);
      // The shipped default model, as a first deploy runs it: this book's own history is too short to fit.
      await new ModelStore(dynamo, tableName).save({
        model: { ...DEFAULT_MODEL, horizonDays: config.risk.horizonDays, fittedAt: addDays(asOf, -1) },
        backtest: null,
        storedAt: `${addDays(asOf, -1)}T06:00:00Z`,
      });
      const run = await runSnapshot({ dynamo, s3, tableName, bucketName, config }, asOf);

      const text = await readText(local.stack, run.reportKeys.json);
      const snapshot = JSON.parse(text) as Snapshot;
      expect(snapshot.atRisk.length).toBeGreaterThan(500);
      expect(snapshot.atRisk.filter(isListed).length).toBeGreaterThanOrEqual(20);
      expect(text.split('\n')).toHaveLength(snapshot.atRisk.length + 2);

      await local.stack.clearMail();
      const summary = await createDigestHandler({ dynamo, s3, ses: ses!, tableName, bucketName, config })(
        { asOf, snapshotKey: run.reportKeys.json },
        context,
      );
      const mail = await local.stack.sentMail();

      // What each recipient gets from the whole document, grouped here without the digest's code.
      const recipient = (owner: string | null) => (owner !== null && recipientDomainAllowed(['example.com'], owner) ? owner : FALLBACK);
      const owners = [
        ...new Set([...snapshot.atRisk.filter((c) => c.band !== null), ...snapshot.scheduledChurn].map((c) => recipient(c.owner))),
      ];
      // A first digest: an owner with only green customers has nothing to read and gets none.
      const mailed = owners.filter((o) =>
        [...snapshot.atRisk.filter(isListed), ...snapshot.scheduledChurn].some((c) => recipient(c.owner) === o),
      );
      expect(mailed.length).toBeGreaterThan(15);
      expect(summary.owners.map((o) => o.owner)).toEqual(owners);
      expect(summary.sent).toBe(mailed.length);
      expect(summary.skipped).toBe(owners.length - mailed.length);
      expect(summary.recipientsRefused).toBe(3);
      expect(mail.map((m) => m.destination.to).sort()).toEqual(mailed.map((o) => [o]).sort());
      for (const owner of mailed) {
        const expected = renderDigest({
          owner,
          asOf,
          currency: snapshot.currency,
          customers: snapshot.atRisk.filter((c) => c.band !== null && recipient(c.owner) === owner),
          scheduled: snapshot.scheduledChurn.filter((c) => recipient(c.owner) === owner),
          previous: null,
          recovered: [],
          reportUrl: `s3://${bucketName}/${run.reportKeys.html}`,
          subjectPrefix: config.digest.subjectPrefix,
          isFallback: owner === FALLBACK,
        });
        const sent = mail.find((m) => m.destination.to[0] === owner)!;
        expect({ subject: sent.subject, html: sent.body.html, text: sent.body.text }).toEqual(expected);
      }
      const fallback = mail.find((m) => m.destination.to[0] === FALLBACK)!;
      expect(fallback.body.text).toMatch(/NOTE: These customers have no account owner assigned/);
      expect(fallback.body.text).toMatch(/\d+ other customers show a warning signal but a low churn probability/);
    },
    scaled(240_000),
  );
});
