/**
 * The layers of src/ (docs/design.md), checked by scripts/test.sh:
 *   model, render              plain data and text output: import nothing else
 *   kernel                     the one boundary to the kernel: imports only model
 *   policy, host, ovs, plan, lab   pure layers over plain data (and the lab's namespaces)
 *   apply audit persist agent bench doctor effect ui   the features
 *   cli                        on top: nothing imports it
 * and no import cycles anywhere.
 *   npx depcruise src --config .dependency-cruiser.cjs
 */
const FEATURES = '^src/(apply|audit|persist|agent|bench|doctor|effect|ui)/';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'import cycles make layers meaningless', from: {}, to: { circular: true } },
    { name: 'nothing-imports-cli', severity: 'error', comment: 'src/cli sits on top', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    { name: 'model-is-the-bottom', severity: 'error', from: { path: '^src/model/' }, to: { path: '^src/', pathNot: '^src/model/' } },
    { name: 'render-is-neutral', severity: 'error', from: { path: '^src/render/' }, to: { path: '^src/', pathNot: '^src/(render|model)/' } },
    { name: 'kernel-imports-only-model', severity: 'error', from: { path: '^src/kernel/' }, to: { path: '^src/', pathNot: '^src/(kernel|model)/' } },
    { name: 'policy-imports-only-model', severity: 'error', from: { path: '^src/policy/' }, to: { path: '^src/', pathNot: '^src/(policy|model)/' } },
    {
      name: 'netlink-is-inside-the-kernel-boundary',
      severity: 'error',
      comment: 'the netlink sockets, messages and addon are an implementation detail of src/kernel (use KernelBackend, FeatureChannel, openMonitor)',
      from: { pathNot: '^src/kernel/' },
      to: { path: '^src/kernel/netlink/' },
    },
    {
      name: 'lower-layers-do-not-import-features',
      severity: 'error',
      comment: 'kernel ← host/ovs/policy/plan/lab ← apply/audit/persist/agent/bench/doctor/effect/ui ← cli',
      from: { path: '^src/(host|ovs|plan|lab|render|model|kernel|policy)/' },
      to: { path: FEATURES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.generated\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    // TypeScript 7 (tsgo) has no compiler API for dependency-cruiser to parse with: swc parses instead
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
