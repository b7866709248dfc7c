#!/usr/bin/env python3
# On a GPU host (python3 with torch and nvidia-ml-py): how fast a long-lived process reads the
# GPUs' compute processes through NVML (pynvml), against nvidia-smi's ~22 ms a call: the design
# question for a persistent GPU reader in the agent. Prints one JSON document.
import json
import subprocess
import sys
import time

import pynvml

holder = subprocess.Popen([sys.executable, "-c",
    "import torch,time; x=torch.empty(1<<30,dtype=torch.uint8,device='cuda'); torch.cuda.synchronize(); print('ready',flush=True); time.sleep(120)"],
    stdout=subprocess.PIPE, start_new_session=True)
holder.stdout.readline()
time.sleep(1)

t0 = time.perf_counter(); pynvml.nvmlInit(); init_ms = (time.perf_counter() - t0) * 1e3

def read():
    out = []
    for i in range(pynvml.nvmlDeviceGetCount()):
        h = pynvml.nvmlDeviceGetHandleByIndex(i)
        uuid = pynvml.nvmlDeviceGetUUID(h)
        for p in pynvml.nvmlDeviceGetComputeRunningProcesses(h):
            out.append({"pid": p.pid, "gpuUuid": uuid if isinstance(uuid, str) else uuid.decode(),
                        "usedMemoryMiB": None if p.usedGpuMemory is None else p.usedGpuMemory // (1024 * 1024)})
    return out

first = read()
ms = []
for _ in range(500):
    t = time.perf_counter(); read(); ms.append((time.perf_counter() - t) * 1e3)
ms.sort()
cpu0 = time.process_time(); [read() for _ in range(200)]; cpu_ms = (time.process_time() - cpu0) / 200 * 1e3
smi = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,gpu_uuid,used_memory", "--format=csv,noheader,nounits"], capture_output=True, text=True).stdout
holder.kill()
print(json.dumps({"pynvml": getattr(pynvml, "__version__", "?"), "driver": pynvml.nvmlSystemGetDriverVersion(),
    "initMs": round(init_ms, 2), "processes": first, "nvidiaSmiSays": smi.strip(), "holderPid": holder.pid,
    "readMs": {"p50": round(ms[250], 3), "p95": round(ms[475], 3), "max": round(ms[-1], 3)},
    "cpuMsPerRead": round(cpu_ms, 3)}, indent=1))
