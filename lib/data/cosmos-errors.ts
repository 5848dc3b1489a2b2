/**
 * The HTTP status of a dependency's error. Cosmos's ErrorResponse carries it as a numeric `code`;
 * the Storage SDK's RestError carries it as `statusCode`, next to a string `code` ("ServerBusy"),
 * so a `code` that is not a number never hides the `statusCode`.
 */
export function cosmosStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** Whether the error is the Storage SDK's (a RestError: a string `code` beside its numeric `statusCode`), not Cosmos DB's. */
export function isStorageError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && typeof statusCode === 'number';
}

export function isCosmosStatus(error: unknown, status: number): boolean {
  return cosmosStatus(error) === status;
}

export function retryAfterSeconds(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const ms = (error as { retryAfterInMs?: unknown; retryAfterInMilliseconds?: unknown }).retryAfterInMs ??
    (error as { retryAfterInMilliseconds?: unknown }).retryAfterInMilliseconds;
  return typeof ms === 'number' ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}
