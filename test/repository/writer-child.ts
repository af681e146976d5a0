// Child process for crash tests: opens the repository given as argv[2] exclusively, writes without
// committing (three 2 MiB objects, so bytes reach the segment file, and a DELETE of the manifest),
// says "ready" and waits to be killed.
import { randomBytes } from 'node:crypto';
import { LocalRepository } from '../../src/repository/local-repository.js';

const repo = await LocalRepository.open(process.argv[2]!, { exclusive: true });
for (let i = 0; i < 3; i++) await repo.put(randomBytes(32), randomBytes(2 * 1024 * 1024));
await repo.delete(Buffer.alloc(32));
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
