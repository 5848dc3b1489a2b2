/** The blob containers the app keeps (created at start in local mode, by infra/ in Azure). */
export const BLOB_CONTAINERS = ['leaver-reports', 'exports', 'roster-uploads'] as const;

/** The containers of the upload account (infra/app/upload-storage.bicep), where browsers PUT files. */
export const UPLOAD_BLOB_CONTAINERS = ['roster-uploads'] as const;
