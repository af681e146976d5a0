// `inject_exception(kind)`: borg's server answers it with a given error so that clients can test how
// they rebuild server errors (spec §6.3). The same kinds and arguments as borg's server.
import { IntegrityError } from '../../errors.js';
import { AlreadyExists, CheckNeeded, DoesNotExist, ObjectNotFound } from '../../repository/errors.js';
import { PathNotAllowed } from '../errors.js';
import { InvalidRPCMethod } from '../rpc/rpc-codec.js';

const S1 = 'test string';
const S2 = 'test string2';

/** The error for `kind`, or undefined for a kind borg does not know (the call then succeeds with nil). */
export function injectedException(kind: string): Error | undefined {
  switch (kind) {
    case 'DoesNotExist': return new DoesNotExist(S1);
    case 'AlreadyExists': return new AlreadyExists(S1);
    case 'CheckNeeded': return new CheckNeeded(S1);
    case 'IntegrityError': return new IntegrityError(S1, { args: [S1] });
    case 'PathNotAllowed': return new PathNotAllowed('foo');
    case 'ObjectNotFound': return new ObjectNotFound(S1, S2);
    case 'InvalidRPCMethod': return new InvalidRPCMethod(0, S1);
    case 'divide': {
      const e = new Error('integer division or modulo by zero');
      e.name = 'ZeroDivisionError';
      return e;
    }
    default: return undefined;
  }
}
