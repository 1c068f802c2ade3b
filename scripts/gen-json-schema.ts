// Writes schema/pipeline.schema.json from the zod schema (the single source of the format).
import { mkdirSync, writeFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../src/engine';

mkdirSync('schema', { recursive: true });
writeFileSync('schema/pipeline.schema.json', `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
console.log('wrote schema/pipeline.schema.json');
