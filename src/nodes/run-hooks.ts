/**
 * What the runner needs to know about nodes, given to it by every host (tab and headless page
 * alike), so that a run is prepared and measured the same way everywhere.
 */
import type { RunHooks } from '../engine';
import { tagPipeline } from './containers/pipeline-tag';
import { probeDuration, progressTime } from './media/progress';

/** Outputs carry the pipeline that made them; progress is the slowest muxer against the longest input. */
export const RUN_HOOKS: RunHooks = {
  prepare: tagPipeline,
  duration: probeDuration,
  mediaTime: progressTime,
};
