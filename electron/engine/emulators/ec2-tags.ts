/** CreateTags on instances and their volumes. */
import { stringList, tagList, type QueryParams } from './ec2-query.js';
import { dryRunCheck, Ec2Fail, type Ec2Store } from './ec2-store.js';
import type { XmlObject } from './ec2-xml.js';

/** EC2 allows this many tags on a resource, and refuses a request that would put more on one. */
export const MAX_TAGS = 50;
export const tagLimit = () =>
  new Ec2Fail('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');

/** EC2's bounds on one tag, in Unicode characters (Using_Tags.html#tag-restrictions). */
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;

/**
 * Refuses a tag EC2 refuses, in CreateTags and in RunInstances' TagSpecification alike: a reserved 'aws:' key, a key
 * or value past its length. moto 5.2.5 accepts all three (test/conformance/ec2-differences.test.ts).
 */
export function checkTag(t: { key: string; value: string }): void {
  if (t.key.toLowerCase().startsWith('aws:')) {
    throw new Ec2Fail('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
  }
  if ([...t.key].length > MAX_TAG_KEY) {
    throw new Ec2Fail('InvalidParameterValue', `Tag key exceeds the maximum length of ${MAX_TAG_KEY} characters`);
  }
  if ([...t.value].length > MAX_TAG_VALUE) {
    throw new Ec2Fail('InvalidParameterValue', `Tag value exceeds the maximum length of ${MAX_TAG_VALUE} characters`);
  }
}

export function createTags(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const ids = stringList(p, 'ResourceId');
  if (!ids.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter ResourceId');
  const tags = tagList(p, 'Tag');
  if (!tags.length) throw new Ec2Fail('MissingParameter', 'The request must contain the parameter Tag');
  tags.forEach(checkTag);
  const instanceIds = ids.filter((id) => !id.startsWith('vol-'));
  const volumes = ids.filter((id) => id.startsWith('vol-'));
  const unknownVolume = volumes.find((v) => !s.volumeIds.has(v));
  if (unknownVolume) throw new Ec2Fail('InvalidVolume.NotFound', `The volume '${unknownVolume}' does not exist.`);
  const list = s.knownInstances(instanceIds, now);
  const after = (had: Record<string, string>) => new Set([...Object.keys(had), ...tags.map((t) => t.key)]).size;
  if (list.some((r) => after(r.tags) > MAX_TAGS)) throw tagLimit();
  dryRunCheck(p);
  for (const r of list) for (const t of tags) r.tags[t.key] = t.value;
  for (const v of volumes) {
    const owner = s.recs.get(s.volumeIds.get(v)!);
    if (owner) for (const t of tags) owner.volumeTags[t.key] = t.value;
  }
  return { return: true };
}
