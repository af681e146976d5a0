// `borg-ts help [TOPIC]`: the program's help, a command's help, or a topic such as placeholders.

import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

export const helpCommand = defineCommand<{ topic: string[]; epilogOnly: boolean; usageOnly: boolean }>({
  name: 'help',
  summary: 'Extra help',
  description: 'Shows the help of the program, of a command ("help list", "help key export") or of a topic ("help placeholders").',
  arguments: [{ name: 'topic', metavar: 'TOPIC', description: 'a command or topic', variadic: true }],
  options: [
    { flags: '--epilog-only', description: "show only the command's long description" },
    { flags: '--usage-only', description: "show the command's usage and options without the long description" },
  ],
  handler(ctx, { topic, epilogOnly, usageOnly }) {
    const name = topic.length > 0 ? topic.join(' ') : undefined;
    const text = ctx.help.text(name, epilogOnly ? 'epilog' : usageOnly ? 'usage' : 'full');
    if (text === undefined) {
      const { commands, topics } = ctx.help.names();
      throw new UsageError(`borg-ts help: error: No help available on ${name}. Commands: ${commands.join(', ')}. Topics: ${topics.join(', ')}`);
    }
    ctx.print(text);
  },
});
