/** A key/value tag as MLflow sends it (runs, experiments, registered models, model versions). */
export interface Tag {
  key: string;
  value: string;
}

/** Tags as callers like to write them, or as MLflow sends them. */
export type TagsInput = Record<string, string> | readonly Tag[];

/** The wire form of tags: a list of `{ key, value }`. */
export function tagList(tags: TagsInput | undefined): Tag[] {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((tag: Tag) => ({ key: tag.key, value: tag.value }));
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/**
 * Tags as a plain record, for lookups such as `tagsToRecord(version.tags)['gate_passed']`.
 * @example tagsToRecord([{ key: 'f1', value: '0.61' }]) // { f1: '0.61' }
 */
export function tagsToRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) record[tag.key] = tag.value;
  return record;
}
