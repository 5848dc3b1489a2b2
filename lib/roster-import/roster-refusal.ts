/**
 * What kind of refusal: the file's content (`file`), no upload under the name (`missing`), an
 * upload over the size limit (`too-large`), or an upload that changed since the run first saw
 * it (`changed`). Start answers each with its own problem; a run fails with the reason.
 */
export type RefusalKind = 'file' | 'missing' | 'too-large' | 'changed';

/**
 * Why a zip is not read (any further): the caller's file, never our failure. The reason never
 * quotes the file: entry names and values are the uploader's text.
 */
export class RosterArchiveRefused extends Error {
  constructor(
    readonly reason: string,
    readonly kind: RefusalKind = 'file',
  ) {
    super(reason);
    this.name = 'RosterArchiveRefused';
  }
}
