/**
 * Ends the agent the orderly way (the SIGTERM path: stop taking work, stop the runs, report
 * them), then exits with `code`, for a fault the agent cannot work around (the API refuses it) and
 * its supervisor must see.
 */
export function exitAgent(code: number): void {
  process.exitCode = code;
  process.kill(process.pid, 'SIGTERM');
}
