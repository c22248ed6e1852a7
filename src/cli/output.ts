/** Output helpers for the commands (they live in src/render/, which features may use too). */
export { printJson, warn } from '../render/print.js';
export { renderTable } from '../render/table.js';
