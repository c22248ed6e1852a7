/** The `offloadctl agent` command's options, as commander hands them over (src/cli/commands/agent.ts). */
export interface AgentCliOptions {
  profile?: string;
  policy?: string;
  mode: 'enforce' | 'report';
  listen: string;
  allowRemote?: boolean;
  tokenFile?: string;
  stateDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  windowMs: string;
  resyncInterval: string;
  installUnit?: boolean;
  root: string;
  execPath?: string;
  scheduling: 'realtime' | 'normal';
  monitorChild?: boolean;
  libvirtDir: string;
  proxmoxDir: string;
  /** Hidden: parse a policy file and print it as JSON (the SIGHUP reload's child process). */
  parsePolicy?: string;
  /** The page shows the latest bench results found here. */
  benchDir?: string;
  /** The passive recorder (offloadctl effect --agent): interval and retention as durations, top-N gauges. */
  recordInterval: string;
  recordRetention: string;
  recordTop: string;
  /** Metric cardinality (docs/fleet.md). */
  metricsFeatures: 'none' | 'policy' | 'all';
  metricsInclude: string[];
  metricsExclude: string[];
  metricsRole: string[];
  metricsExcludeRole: string[];
}
