/**
 * Weft writes the pipeline that made a file into the file's metadata (the muxer's `comment`,
 * where the container has one), so a studio can reopen it from the output. The text is deflated
 * and base64url-encoded behind a prefix.
 */
import type { Pipeline } from '../../engine';
import { ALL_FORMATS, BlobSource, Input } from 'mediabunny';
import { decodeText, encodeText } from '../media/text-code';

/** Marks a comment that carries a pipeline. */
export const PIPELINE_TAG_PREFIX = 'weft-pipeline:';

/** The pipeline with `text` stored in every muxer that has no comment of its own. */
export async function tagPipeline(pipeline: Pipeline, text: string): Promise<Pipeline> {
  const comment = `${PIPELINE_TAG_PREFIX}${await encodeText(text)}`;
  const nodes = { ...pipeline.nodes };
  for (const [id, node] of Object.entries(nodes)) {
    if (node.kind !== 'containers::muxer') continue; // StreamKit's muxer kinds keep their exact params
    const params =
      typeof node.params === 'object' && node.params !== null ? (node.params as Record<string, unknown>) : {};
    if (params.comment === undefined) nodes[id] = { ...node, params: { ...params, comment } };
  }
  return { ...pipeline, nodes };
}

/** The pipeline text stored in a media file by Weft, or null. */
export async function readPipelineTag(file: Blob): Promise<string | null> {
  const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
  try {
    const tags = await input.getMetadataTags();
    const comment = tags.comment ?? '';
    return comment.startsWith(PIPELINE_TAG_PREFIX) ? await decodeText(comment.slice(PIPELINE_TAG_PREFIX.length)) : null;
  } catch {
    return null; // not media, or no tags: nothing to offer
  } finally {
    input.dispose();
  }
}
