/** What the lab's traffic tests (iperf.ts, rr.ts) measure: plain data, also bench's (src/bench/types.ts). */

/** tcp: one stream client→server; tcp-reverse: the same with -R (server sends); tcp-multi: -P 4;
 *  udp: at a target rate (loss, jitter); rr: 1-byte TCP request/response ping-pong (latency). */
export type TestName = 'tcp' | 'tcp-reverse' | 'tcp-multi' | 'udp' | 'rr';
export const ALL_TESTS: readonly TestName[] = ['tcp', 'tcp-reverse', 'tcp-multi', 'udp', 'rr'];

/** Metric values of one run. Missing keys: not measured by that test. */
export interface Metrics {
  /** Received throughput (what arrived), Gbit/s. */
  gbps?: number;
  retransmits?: number;
  /** iperf3's own CPU figures (percent of one machine's CPUs, as iperf3 reports them). */
  senderCpu?: number;
  receiverCpu?: number;
  /** Busy share of all CPUs of this machine over the run, from /proc/stat (whole machine: noisy). */
  hostCpu?: number;
  /** senderCpu / gbps: CPU percent per Gbit/s sent. */
  senderCpuPerGbps?: number;
  receiverCpuPerGbps?: number;
  /** UDP: loss and jitter as the receiver saw them. */
  lossPct?: number;
  jitterMs?: number;
  /** rr: round-trip times in microseconds and transactions per second. */
  rttP50Us?: number;
  rttP90Us?: number;
  rttP99Us?: number;
  tps?: number;
}
