/** The plan: a pure diff of (observation, desired) that knows the kernel's feature rules. */
export { plan, planInterface, computeStages, isPhysical } from './plan.js';
export { renderCommands, ethtoolCommand, shellQuote, summarizePlan, notableSkips, compactSet } from './render.js';
export { DEPENDENCIES, predictActive, turnsOffOnly } from './dependencies.js';
export type { Plan, PlannedChange, Skipped, SkipReason } from './types.js';
