import { generateOpenApi, serializeOpenApi } from './openapi.js';
import fs from 'node:fs';

/** `npm run openapi -w backend [-- OUT]`: writes the generated document (default ../sdk/openapi.json). */
const out = process.argv[2] ?? new URL('../../sdk/openapi.json', import.meta.url).pathname;
fs.writeFileSync(out, serializeOpenApi(await generateOpenApi()));
process.stdout.write(`wrote ${out}\n`);
