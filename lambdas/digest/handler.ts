// Placeholder so the CDK stack can be bundled while the real handler is written; replaced before release.
export const handler = async (): Promise<never> => {
  throw new Error('digest handler not implemented yet');
};
