// borg-ts as the client of `borg-ts serve` (the built bin, started by sshd through --remote-path),
// over a real sshd on 127.0.0.1.
import { remoteCycle } from './remote-cycle.js';
import { BIN } from './tools.js';

remoteCycle({ name: 'borg-ts serve', remotePath: `node ${BIN}` });
