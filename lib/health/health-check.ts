export type DependencyStatus = 'ok' | 'unavailable';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  version: string;
  checks: { cosmos: DependencyStatus; blob: DependencyStatus };
}

export interface HealthProbes {
  cosmos: () => Promise<unknown>;
  blob: () => Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 3000;

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyStatus>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), timeoutMs);
  });
  try {
    return await Promise.race([check().then((): DependencyStatus => 'ok', (): DependencyStatus => 'unavailable'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(probes: HealthProbes, version: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<HealthReport> {
  const [cosmos, blob] = await Promise.all([probe(probes.cosmos, timeoutMs), probe(probes.blob, timeoutMs)]);
  return { status: cosmos === 'ok' && blob === 'ok' ? 'ok' : 'unavailable', version, checks: { cosmos, blob } };
}
