export {
  audit,
  type AuditOptions,
  type AuditReport,
  type FeatureFinding,
  type InterfaceVerdict,
  type MtuFinding,
} from './audit.js';
export { findingTable, groupFindings, mtuTable, summaryLine, type FindingRow } from './render.js';
