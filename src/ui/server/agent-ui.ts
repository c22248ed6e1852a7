import type { Agent } from '../../agent/agent.js';
import { readVmIndex } from '../../host/vm-reader.js';
import { agentEvents, agentView } from './agent-view.js';
import { isLiteralHost, uiRoutes, type UiRoutes } from './ui-routes.js';

export interface AgentUiOptions {
  token: () => string | null;
  onDenied?: (method: string, path: string, remote: string | undefined) => void;
  /** The kernel backend the page's actions open (the agent's --backend). */
  backend: 'auto' | 'netlink' | 'ethtool';
  stateDir: string;
  benchDir?: string;
  /** The agent listens on loopback only: answer only Host headers that are IP literals or localhost. */
  loopback: boolean;
}

/** The page for a running agent: its routes, over the agent's context. */
export async function agentUi(agent: Agent, o: AgentUiOptions): Promise<UiRoutes> {
  const ctx = agent.context;
  return uiRoutes({
    view: agentView(ctx),
    events: agentEvents(ctx),
    token: o.token,
    onDenied: o.onDenied,
    benchDir: o.benchDir,
    actions: {
      openKernel: async () => (await import('../../kernel/index.js')).openKernel({ backend: o.backend }),
      stateDir: o.stateDir,
      agentMode: () => ctx.mode,
      agentPolicy: () => ctx.policy.name,
    },
    live: { vmIndex: (names) => readVmIndex({}, names) },
    allowedHost: o.loopback ? isLiteralHost : undefined,
  });
}
