import { gunzipSync } from 'node:zlib';
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** One Application Insights envelope as the exporter serialises it. */
export interface Envelope {
  name: string;
  tags?: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, unknown> } };
}

export interface RecordingIngestion {
  /** Handed to the composition root as `telemetryIngestion`: the exporter's real HTTP requests land here. */
  httpClient: HttpClient;
  /** Request bodies exactly as the exporter would have sent them to the ingestion endpoint. */
  bodies: string[];
  envelopes(): Envelope[];
}

/**
 * Stands in for the Application Insights ingestion endpoint, and only for it: the SDK,
 * its processors and its exporter all run for real; the final HTTP request is recorded
 * and answered with what the endpoint answers on success.
 */
export function recordingIngestion(): RecordingIngestion {
  const bodies: string[] = [];
  const httpClient: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const body = bodyText(request);
      bodies.push(body);
      const count = body.startsWith('[') ? (JSON.parse(body) as unknown[]).length : body.split('\n').filter(Boolean).length;
      return {
        request,
        status: 200,
        headers: createHttpHeaders({ 'content-type': 'application/json' }),
        bodyAsText: JSON.stringify({ itemsReceived: count, itemsAccepted: count, errors: [] }),
      };
    },
  };
  return {
    httpClient,
    bodies,
    envelopes: () => bodies.flatMap((body) => JSON.parse(body) as Envelope[]),
  };
}

function bodyText(request: PipelineRequest): string {
  const body = request.body;
  const gzipped = request.headers.get('content-encoding') === 'gzip';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return (gzipped ? gunzipSync(body) : Buffer.from(body)).toString('utf8');
  throw new Error(`unexpected telemetry request body: ${typeof body}`);
}
