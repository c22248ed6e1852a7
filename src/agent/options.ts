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
  libvirtDir?: string;
  proxmoxDir?: string;
}
