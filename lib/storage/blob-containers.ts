/** The blob containers the app keeps (created at start in local mode, by infra/ in Azure). */
export const BLOB_CONTAINERS = ['leaver-reports', 'exports', 'roster-uploads'] as const;
