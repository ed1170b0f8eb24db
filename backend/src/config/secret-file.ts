import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSecretKey } from './config.js';

/** Reads `{dataDir}/secret.key`, creating it (mode 0600) with a random key on first start. */
export function secretKeyFromDataDir(dataDir: string): Buffer {
  const file = path.join(dataDir, 'secret.key');
  if (fs.existsSync(file)) return parseSecretKey(fs.readFileSync(file, 'utf8'), file);
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  return key;
}
