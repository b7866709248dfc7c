"""The agent's GPU reader: NVML kept open in one long-lived process.

nvidia-smi loads and initialises NVML on every call (~22 ms on an H100 host, mostly in the kernel);
a process that keeps NVML open reads the same facts in ~0.04 ms (scripts/device/nvml-timing.py).
The agent starts this with prime-rl's Python (`uv run --no-sync python nvml_reader.py`), whose
virtualenv has nvidia-ml-py (vLLM needs it), and asks it for the inventory before each placement
and heartbeat. See apps/gpu-agent/src/gpus/nvml-reader.ts for the other end.

Protocol, one JSON document per line:
  first line out:  {"ready": true, "driverVersion": "580.159.04", "cudaVersion": "13.0", "pynvml": "13.590.44"}
               or  {"ready": false, "error": "..."} and exit 0 (no pynvml, no driver: use nvidia-smi)
  in:              {"id": 7, "processes": true}
  out:             {"id": 7, "gpus": [{"index", "uuid", "name", "memoryTotalMiB", "memoryUsedMiB",
                    "processes": [{"pid", "usedMemoryMiB"}]}]}   or   {"id": 7, "error": "..."}
                   ("processes": false leaves every GPU's list empty: heartbeats report memory only)
End of input (the agent closed the pipe, or died) ends the process.
"""

import json
import sys

MIB = 1024 * 1024


def emit(document):
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


def text(value):
    """pynvml returns bytes from older releases and str from newer ones."""
    return value.decode() if isinstance(value, bytes) else value


def cuda_version(nvml):
    try:
        version = nvml.nvmlSystemGetCudaDriverVersion()  # 13000 means 13.0, as nvidia-smi prints it
    except nvml.NVMLError:
        return None
    return f"{version // 1000}.{(version % 1000) // 10}"


def memory_mib(nvml, handle):
    """(total, used) in MiB as nvidia-smi reports them, or (None, None) where NVML can't say.

    nvidia-smi (driver 510 and later) reports memory.used without the driver's reserved memory:
    NVML's v2 struct. Older drivers or pynvml releases only have v1, whose `used` includes it.
    """
    try:
        version = getattr(nvml, "nvmlMemory_v2", None)
        if version is not None:
            try:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle, version=version)
                return memory.total // MIB, memory.used // MIB
            except (nvml.NVMLError, TypeError):
                pass
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        return memory.total // MIB, memory.used // MIB
    except nvml.NVMLError:
        return None, None


def inventory(nvml, with_processes):
    gpus = []
    for index in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        total, used = memory_mib(nvml, handle)
        processes = [
            {
                "pid": process.pid,
                # None where NVML can't attribute memory (containers, WDDM): "[N/A]" in nvidia-smi.
                "usedMemoryMiB": None if process.usedGpuMemory is None else process.usedGpuMemory // MIB,
            }
            for process in (nvml.nvmlDeviceGetComputeRunningProcesses(handle) if with_processes else [])
        ]
        gpus.append(
            {
                "index": index,
                "uuid": text(nvml.nvmlDeviceGetUUID(handle)),
                "name": text(nvml.nvmlDeviceGetName(handle)),
                "memoryTotalMiB": total,
                "memoryUsedMiB": used,
                "processes": processes,
            }
        )
    return gpus


def pynvml_version():
    try:
        from importlib.metadata import version

        return version("nvidia-ml-py")
    except Exception:  # not installed as a distribution (a vendored copy): the version is unknown
        return None


def main():
    try:
        import pynvml as nvml
    except ImportError as error:
        emit({"ready": False, "error": f"cannot import pynvml (nvidia-ml-py): {error}"})
        return 0
    try:
        nvml.nvmlInit()
        driver = text(nvml.nvmlSystemGetDriverVersion())
    except nvml.NVMLError as error:
        emit({"ready": False, "error": f"NVML did not start: {error}"})
        return 0
    emit({"ready": True, "driverVersion": driver, "cudaVersion": cuda_version(nvml), "pynvml": pynvml_version()})
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                emit({"id": request["id"], "gpus": inventory(nvml, request.get("processes", True))})
            except Exception as error:  # noqa: BLE001 — reported, never swallowed
                # A GPU fallen off the bus, a driver reload: the agent asks nvidia-smi instead.
                emit({"id": request["id"], "error": f"{type(error).__name__}: {error}"})
    finally:
        nvml.nvmlShutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
