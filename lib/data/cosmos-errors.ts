/** Narrow view of the SDK's ErrorResponse; the SDK throws plain objects with `code`. */
export function cosmosStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown; statusCode?: unknown }).code ?? (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
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
