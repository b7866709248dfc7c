import { Module, type DynamicModule } from '@nestjs/common';

import { AgentApiClient } from './api-client/agent-api.client.js';
import { EvalAttempt } from './eval/eval-attempt.js';
import { AgentConfigModule } from './config/agent-config.module.js';
import { AgentConfig } from './config/agent.config.js';
import { GpuInventoryService } from './gpus/gpu-inventory.service.js';
import { AgentLifecycle } from './lifecycle/agent-lifecycle.service.js';
import { LivenessService } from './liveness/liveness.service.js';
import { ProcessLedger, processLedgerDir } from './process/process-ledger.js';
import { LocalPortBook } from './net/local-port-book.js';
import { RunAdmission } from './placement/run-admission.js';
import { PrimeRlInstallation } from './prime-rl/prime-rl-installation.js';
import { HeldRuns } from './runs/held-runs.js';
import { RunSignalListener } from './session/run-signal-listener.js';
import { RUN_EXECUTORS, RunJobProcessor, type RunExecutors } from './runs/run-job.processor.js';
import { AgentSession } from './session/agent-session.service.js';
import { TrainAttempt } from './training/train-attempt.js';
import { RunQueueWorker } from './worker/run-queue.worker.js';

@Module({})
export class AgentModule {
  /** The whole agent for one validated configuration. */
  static register(config: AgentConfig): DynamicModule {
    return {
      module: AgentModule,
      imports: [AgentConfigModule.forValue(config)],
      providers: [
        LivenessService,
        GpuInventoryService,
        PrimeRlInstallation,
        RunSignalListener,
        AgentSession,
        RunJobProcessor,
        RunAdmission,
        RunQueueWorker,
        AgentLifecycle,
        { provide: HeldRuns, useValue: new HeldRuns() },
        {
          provide: AgentApiClient,
          useValue: new AgentApiClient({
            baseUrl: config.API_URL,
            ...(config.AGENT_API_TOKEN ? { token: config.AGENT_API_TOKEN } : {}),
          }),
        },
        {
          // Outlives the process: the next incarnation kills what this one left running.
          provide: ProcessLedger,
          useValue: new ProcessLedger(processLedgerDir(config.AGENT_WORK_DIR)),
        },
        {
          provide: RUN_EXECUTORS,
          inject: [AgentApiClient, ProcessLedger, AgentSession],
          useFactory: (
            client: AgentApiClient,
            ledger: ProcessLedger,
            session: AgentSession,
          ): RunExecutors => {
            const services = {
              config,
              client,
              ledger,
              incarnation: () => session.current.incarnation,
              ports: new LocalPortBook(),
            };
            return { train: new TrainAttempt(services), eval: new EvalAttempt(services) };
          },
        },
      ],
    };
  }
}
