/** Where a run's planned batches are kept (the main account's roster container), one blob a batch. */
export function batchPrefix(run: { municipalityId: string; id: string }): string {
  return `${run.municipalityId}/runs/${run.id}/`;
}

export function batchBlob(run: { municipalityId: string; id: string }, index: number): string {
  return `${batchPrefix(run)}batch-${String(index).padStart(6, '0')}.json`;
}
