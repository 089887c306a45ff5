import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function machineInfo(temporalCli: string) {
  const version = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8' }).trim().split('\n')[0];
    } catch {
      return null;
    }
  };
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    temporal: version(temporalCli, ['--version']),
    nft: version('nft', ['--version']),
    fail2ban: version('fail2ban-server', ['--version']),
    kernel: version('uname', ['-r']),
  };
}
