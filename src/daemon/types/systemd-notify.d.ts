// The npm package systemd-notify ships no types: it spawns the systemd-notify
// binary with --ready, --status and --pid.
declare module 'systemd-notify' {
  interface NotifyOptions { ready?: boolean; status?: string; pid?: number; booted?: boolean }
  function notify(options: NotifyOptions): Promise<unknown>;
  export default notify;
}
