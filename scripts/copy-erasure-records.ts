/**
 * After a Cosmos DB point-in-time restore (docs/operations.md, "Restore from a backup"):
 * copies the erasure records accepted at or after the restore point from the account that
 * was restored from into the restored account, with the operator's Entra ID sign-in.
 *
 *   npx tsx scripts/copy-erasure-records.ts --from https://cosmos-old.documents.azure.com:443/ \
 *     --to https://cosmos-restored.documents.azure.com:443/ --since 2026-11-30T01:00:00Z
 */
import { parseArgs } from 'node:util';
import { CosmosClient } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import { copyErasureRecords } from '../lib/erasure/erasure-reapply-copy.js';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, since: { type: 'string' }, database: { type: 'string', default: 'engage' } } });
if (!values.from || !values.to || !values.since || Number.isNaN(Date.parse(values.since))) {
  console.error('usage: npx tsx scripts/copy-erasure-records.ts --from <endpoint> --to <endpoint> --since <ISO moment> [--database engage]');
  process.exit(2);
}
const credential = new DefaultAzureCredential();
const directory = (endpoint: string) => new CosmosClient({ endpoint, aadCredentials: credential }).database(values.database).container('directory');
const copied = await copyErasureRecords(directory(values.from), directory(values.to), new Date(values.since).toISOString());
console.log(`copied ${copied} erasure record(s) accepted at or after ${values.since}`);
