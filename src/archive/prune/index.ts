// Prune: the keep policy (pure, prune-policy.ts), its --keep-within interval, and carrying out a
// plan through the archive deleter (prune-archives.ts).
export { parseInterval } from './interval.js';
export {
  hasPruneRule, isCheckpointName, NoPruneRules, PERIOD_RULES, planPrune,
  type PeriodRule, type PruneDecision, type PrunePlan, type PrunePolicyOptions, type PruneRules,
} from './prune-policy.js';
export { pruneArchives, type PruneArchivesOptions, type PruneArchivesResult } from './prune-archives.js';
