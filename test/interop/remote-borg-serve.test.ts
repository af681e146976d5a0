// borg-ts as the client of real borg 1.2.4's `borg serve`, over a real sshd on 127.0.0.1.
import { remoteCycle } from './remote-cycle.js';

remoteCycle({ name: 'real borg serve' });
