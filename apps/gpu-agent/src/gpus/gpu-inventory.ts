/** A process holding memory on a GPU, as `nvidia-smi --query-compute-apps` reports it. */
export interface GpuProcess {
  /** PID as nvidia-smi sees it (the host's PID namespace; may differ inside a container). */
  pid: number;
  gpuUuid: string;
  /** MiB; null when nvidia-smi prints "[N/A]" (common in containers). */
  usedMemoryMiB: number | null;
}

/** One GPU of this host. Numbers nvidia-smi cannot give ("[N/A]", "[Not Supported]") are null. */
export interface Gpu {
  /** nvidia-smi's index: PCI bus order, which is CUDA's order only with CUDA_DEVICE_ORDER=PCI_BUS_ID. */
  index: number;
  /** `GPU-…`: stable across reboots and re-enumeration, unlike the index. */
  uuid: string;
  /** As printed, spaces included: "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB". */
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  driverVersion: string | null;
  /** The highest CUDA version the driver supports (nvidia-smi's header), e.g. "12.4". */
  cudaVersion: string | null;
  /** Compute processes on this GPU, the agent's own and anyone else's. */
  processes: GpuProcess[];
}

/** Every GPU of the host, by index. Empty when the host has no NVIDIA driver or no GPU. */
export type GpuInventory = readonly Gpu[];
