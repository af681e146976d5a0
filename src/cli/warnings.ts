// Warnings do not stop a command: they are logged when they happen (like borg's print_warning)
// and remembered, so that main.ts can end the run with a warning exit code.

import type { Logger } from './logger.js';
import type { WarningRecord, WarningSink } from '../progress.js';

export class WarningCollector implements WarningSink {
  private readonly collected: WarningRecord[] = [];

  constructor(private readonly logger?: Logger) {}

  warn(warning: WarningRecord): void {
    this.collected.push(warning);
    this.logger?.warning(warning.message);
  }

  /** Shorthand for a generic warning (borg's BorgWarning, exit code 1 in both modes). */
  warnText(message: string): void {
    this.warn({ code: 'BorgWarning', message });
  }

  get records(): readonly WarningRecord[] {
    return this.collected;
  }
}
