import type { Container, Database } from '@azure/cosmos';
import { isCosmosStatus } from '../../data/cosmos-errors.js';
import type { RetryPolicy } from './engine.js';
import type { HistoryRecord } from './history.js';

export type LocalRuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'ContinuedAsNew';

/** Work the orchestration is waiting on: an activity or sub-orchestration attempt. */
export interface WorkItem {
  readonly kind: 'activity' | 'subOrchestration';
  readonly name: string;
  readonly inputJson: string | undefined;
  readonly retry: RetryPolicy | undefined;
  /** 1-based attempt this work item represents. */
  readonly attempt: number;
  /** Explicit sub-orchestration instance id, reused by every attempt. */
  readonly fixedInstanceId: string | undefined;
}

/** What a scheduled task id stands for until its result arrives: what to redo after a restart. */
export type PendingTask =
  | { readonly kind: 'work'; readonly taskId: number; readonly work: WorkItem }
  | { readonly kind: 'timer'; readonly taskId: number; readonly fireAt: string; readonly retryOf: WorkItem | undefined };

/** An action the orchestrator decided, as replay must reproduce it (`fireAt` as ISO text). */
export interface StoredDecision {
  readonly short: string;
  readonly full: string;
  readonly action: Record<string, unknown> & { kind: string };
  readonly taskId: number | undefined;
}

export interface StoredExecution {
  index: number;
  inputJson: string | undefined;
  history: HistoryRecord[];
  decisions: StoredDecision[];
  pending: PendingTask[];
  nextTaskId: number;
  episodes: number;
}

/**
 * One orchestration instance as the task hub keeps it. An unfinished one has everything a
 * new process needs to carry on: the execution's history and decisions and the tasks still
 * outstanding. A finished one keeps only its status and output: no input, no history.
 */
export interface StoredInstance {
  instanceId: string;
  name: string;
  parentInstanceId: string | undefined;
  runtimeStatus: LocalRuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  lastEpisodeTime: string | undefined;
  executionCount: number;
  episodeCount: number;
  /** Times a process picked this instance up from the task hub after another stopped. */
  resumed: number;
  outputJson: string | undefined;
  customStatusJson: string | undefined;
  error: string | undefined;
  /** The running execution; none before the first episode or between a continue-as-new and the next. */
  execution: StoredExecution | undefined;
  /** Input the next execution starts with when there is no running one. */
  nextInputJson: string | undefined;
}

/** Where the local durable driver keeps its instances, so that a restarted process resumes them. */
export interface TaskHub {
  save(instance: StoredInstance): Promise<void>;
  read(instanceId: string): Promise<StoredInstance | undefined>;
  unfinished(): Promise<StoredInstance[]>;
}

interface TaskHubDocument extends StoredInstance {
  id: string;
}

/**
 * The local task hub in a Cosmos DB container of the app's database (Azure Functions keeps
 * its task hub in the host's storage account; locally the data and the orchestrations that
 * work on it live and go together). One document per instance.
 */
export class CosmosTaskHub implements TaskHub {
  static readonly CONTAINER = 'local-taskhub';

  private constructor(private readonly container: Container) {}

  static async open(database: Database): Promise<CosmosTaskHub> {
    const { container } = await database.containers.createIfNotExists({ id: CosmosTaskHub.CONTAINER, partitionKey: { paths: ['/id'] } });
    return new CosmosTaskHub(container);
  }

  async save(instance: StoredInstance): Promise<void> {
    const document: TaskHubDocument = { id: instance.instanceId, ...instance };
    await this.container.items.upsert(document);
  }

  async read(instanceId: string): Promise<StoredInstance | undefined> {
    try {
      const { resource } = await this.container.item(instanceId, instanceId).read<TaskHubDocument>();
      return resource;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async unfinished(): Promise<StoredInstance[]> {
    // Local only and once per start: the one cross-partition query, over instances not yet finished.
    const { resources } = await this.container.items
      .query<TaskHubDocument>("SELECT * FROM c WHERE c.runtimeStatus IN ('Pending', 'Running', 'ContinuedAsNew')")
      .fetchAll();
    return resources;
  }
}
