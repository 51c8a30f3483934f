// Placeholder so the CDK stack can be bundled while the real handler is written; replaced before release.
export const handler = async (): Promise<never> => {
  throw new Error('ingest-usage handler not implemented yet');
};
