/** Region the emulators pretend to be in. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
/**
 * Dummy credentials every emulator accepts: s3rver only knows its built-in account `S3RVER`, and
 * DynamoDB Local wants an access key of letters and digits.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
