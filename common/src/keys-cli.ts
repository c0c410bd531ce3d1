import path from 'node:path';
import { devKeyPair } from './jwt-keys';

/**
 * Writes a development RS256 key pair into the given folder unless one is there already.
 * docker compose runs it once into a shared volume; both services then read the keys by path.
 */
const dir = path.resolve(process.argv[2] ?? 'keys');
devKeyPair(dir);
process.stdout.write(`keys: ${dir}/jwt-private.pem, ${dir}/jwt-public.pem\n`);
