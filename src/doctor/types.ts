/** Data of the doctor: kernel log signatures, counter samples, findings. Plain and serialisable. */

export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** Most severe first. */
export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/** One entry of src/doctor/data/signatures.json, as written there. */
export interface SignatureSpec {
  id: string;
  title: string;
  /**
   * JavaScript regular expression matched against the message text (timestamp/prefix removed).
   * Named groups `ifname`, `driver`, `bus` say what the line names. `{NETDEV}` expands to the
   * netdev_printk prefix "DRIVER BUS IFNAME: " / "IFNAME: " (include/linux/netdevice.h netdev_printk).
   */
  regex: string;
  /** Kernel feature names or ethtool short names the message implicates. */
  features: string[];
  severity: Severity;
  /** Drivers the message comes from (informational; the regex decides). */
  drivers?: string[];
  cause: string;
  /** Verified references only; otherwise "kernel source: FILE FUNCTION". */
  references: string[];
  /** True when the effect of turning the features off is uncertain: suggest measuring. */
  measure?: boolean;
  /** Features the suggested commands turn off first (default: `features`). */
  fix?: string[];
}

export interface Signature extends SignatureSpec {
  re: RegExp;
}

/** Which format a log line had. */
export type LogFormat = 'kmsg' | 'dmesg' | 'dmesg-T' | 'syslog' | 'iso' | 'plain';

export interface ParsedLine {
  format: LogFormat;
  /** Message text without timestamp, host, ident. */
  message: string;
  /** Seconds since boot (kmsg, dmesg), when the line has them. */
  monotonic: number | null;
  /** Wall-clock time (ms since epoch) when the line has one. */
  wallMs: number | null;
  /** syslog ident (kernel, systemd...) for syslog/iso lines; null otherwise. */
  ident: string | null;
  /** kmsg/syslog priority level 0..7 when known. */
  level: number | null;
}

/** All matches of one signature for one interface/driver, with bounded evidence. */
export interface LogHit {
  signature: string;
  ifname: string | null;
  driver: string | null;
  count: number;
  /** First few raw lines (at most EVIDENCE_LINES). */
  evidence: string[];
  /** 1-based line numbers of the evidence lines in the source. */
  lineNumbers: number[];
  /** Continuation lines that followed the first evidence line (e1000e's TDH/TDT register dump...). */
  context: string[];
  firstMs: number | null;
  lastMs: number | null;
}

export interface LogScanResult {
  source: string;
  linesRead: number;
  linesMatched: number;
  /** Lines skipped by --since. */
  linesTooOld: number;
  /** Lines from another syslog ident than "kernel". */
  linesNotKernel: number;
  hits: LogHit[];
  notes: string[];
}

/** One counter sample of one interface. */
export interface CounterSample {
  ifname: string;
  /** /sys/class/net/IF/statistics/* plus tx_timeout (sum over queues/tx-N/tx_timeout). */
  stats: Record<string, number>;
  /** `ethtool -S` (driver statistics), null when the driver has none. */
  driver: Record<string, number> | null;
}

export interface CounterSnapshot {
  /** Monotonic milliseconds (performance.now / hrtime) when taken. */
  atMs: number;
  interfaces: CounterSample[];
}

export interface CounterRate {
  ifname: string;
  counter: string;
  /** 'stats' (sysfs) or 'driver' (ethtool -S). */
  source: 'stats' | 'driver';
  delta: number;
  perSecond: number;
  /** Lifetime value at the second sample (context only). */
  total: number;
}

export interface RemedyCommands {
  /** offloadctl commands that would change it (policy-driven, journaled, restorable). */
  offloadctl: string[];
  /** The plain ethtool equivalent (not persistent). */
  ethtool: string[];
  /** Other commands (ip link ...) when the fix is not an offload. */
  other: string[];
  /** "measure it" suggestion when the effect is uncertain. */
  measure: string | null;
}

export type FindingSource = 'log' | 'counters' | 'topology' | 'known-problem';

export interface Finding {
  /** Signature or check id, e.g. `e1000e-hardware-unit-hang`, `bridge-port-mtu`. */
  id: string;
  source: FindingSource;
  severity: Severity;
  title: string;
  interfaces: string[];
  /** Kernel feature names implicated. */
  features: string[];
  evidence: string[];
  cause: string;
  references: string[];
  fix: RemedyCommands;
  /** About devices nothing uses yet (taps no VM has opened): ranked after every other finding of its severity. */
  dormant?: boolean;
}

/** A check that ran and found nothing, with the reason (shown with --verbose and in --json). */
export interface CheckNote {
  check: string;
  ifname: string | null;
  result: 'ok' | 'skipped';
  reason: string;
}

export interface DoctorReport {
  takenAt: string;
  findings: Finding[];
  checks: CheckNote[];
  log: Omit<LogScanResult, 'hits'> | null;
  counters: { intervalSeconds: number; interfaces: number; rates: CounterRate[] } | null;
  notes: string[];
}

/** What the topology checks found, and the checks that passed. */
export interface TopologyResult {
  findings: Finding[];
  checks: CheckNote[];
}
