/** The `offloadctl bench` command's options, as commander hands them over (src/cli/commands/bench.ts). */
export interface BenchCliOptions {
  lab?: 'netns' | 'vm';
  labName?: string;
  server?: string;
  port?: number;
  rrPort?: number;
  profiles: string;
  tests: string;
  duration: number;
  repeat: number;
  udpRate: string;
  streams: number;
  accel: 'auto' | 'kvm' | 'tcg';
  interface?: string[];
  stateDir?: string;
  seed: number;
  out?: string;
  progress: boolean;
  json?: boolean;
}
