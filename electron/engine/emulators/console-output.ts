/**
 * What EC2's GetConsoleOutput returns for an emulated instance: the serial console of an Ubuntu AMI booting,
 * cloud-init running the startup script, and clearml-agent starting; or, when a boot failure is set, the script
 * stopping with that error. The text grows with the time since the instance started running, like a real capture.
 */
export interface ConsoleInputs {
  instanceId: string;
  instanceType: string;
  imageId: string;
  privateIp: string;
  /** ms epoch; null while pending (EC2 has no console output yet). */
  runningSince: number | null;
  now: number;
  /** A line the init script dies with (the emulator's stand-in for a broken AMI or script). */
  bootFailure: string | null;
}

const stamp = (sec: number) => `[${sec.toFixed(6).padStart(12, ' ')}]`;

export function consoleText(i: ConsoleInputs): string | null {
  if (i.runningSince === null) return null;
  const up = Math.max(0, (i.now - i.runningSince) / 1000);
  const date = new Date(i.runningSince).toUTCString().replace('GMT', '+0000');
  const logTime = (sec: number) =>
    new Date(i.runningSince! + sec * 1000).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
  const host = `ip-${i.privateIp.replace(/\./g, '-')}`;
  const timed: [number, string][] = [
    [
      0,
      `${stamp(0)} Linux version 6.8.0-1021-aws (buildd@lcy02-amd64-107) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #23-Ubuntu SMP Mon Nov 23 12:04:11 UTC 2026 (Ubuntu 6.8.0-1021.23-aws 6.8.12)`,
    ],
    [
      0,
      `${stamp(0)} Command line: BOOT_IMAGE=/vmlinuz-6.8.0-1021-aws root=PARTUUID=5b8c3f61-01 ro console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 panic=-1`,
    ],
    [0, `${stamp(0)} DMI: Amazon EC2 ${i.instanceType}/, BIOS 1.0 10/16/2017`],
    [0.4, `${stamp(0.412731)} nvme nvme0: 2/0/0 default/read/poll queues`],
    [
      1.1,
      `${stamp(1.104522)} EXT4-fs (nvme0n1p1): mounted filesystem 5b8c3f61 ro with ordered data mode. Quota mode: none.`,
    ],
    [2.3, `${stamp(2.301877)} systemd[1]: Hostname set to <${host}>.`],
    [
      3.6,
      `${stamp(3.618004)} cloud-init[512]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'init-local' at ${date}. Up 3.58 seconds.`,
    ],
    [
      4.9,
      `${stamp(4.902316)} cloud-init[601]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'init' at ${date}. Up 4.87 seconds.`,
    ],
    [
      5.0,
      `${stamp(5.011208)} cloud-init[601]: ci-info: ++++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++++`,
    ],
    [
      5.0,
      `${stamp(5.011433)} cloud-init[601]: ci-info: | ens5   | True |         ${i.privateIp.padEnd(15)} | 255.255.240.0 | global |`,
    ],
    [
      6.2,
      `${stamp(6.207761)} cloud-init[734]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'modules:config' at ${date}. Up 6.19 seconds.`,
    ],
    [
      7.0,
      `${stamp(7.04419)} cloud-init[790]: Cloud-init v. 24.4-0ubuntu1~24.04.2 running 'modules:final' at ${date}. Up 7.02 seconds.`,
    ],
    [7.1, `${stamp(7.101555)} cloud-init[790]: clearml-autoscaler: instance ${i.instanceId} (${i.imageId}) starting`],
    [7.4, `${stamp(7.402981)} cloud-init[790]: clearml-autoscaler: installing python3-venv and git`],
  ];
  if (i.bootFailure) {
    timed.push(
      [9.0, `${stamp(9.013377)} cloud-init[790]: ${i.bootFailure}`],
      [
        9.1,
        `${stamp(9.120004)} cloud-init[790]: ${logTime(9.12)} - cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in /var/lib/cloud/instance/scripts)`,
      ],
      [
        9.2,
        `${stamp(9.121731)} cloud-init[790]: ${logTime(9.121)} - log_util.py[WARNING]: Running module scripts_user (<module 'cloudinit.config.cc_scripts_user'>) failed`,
      ],
      [
        9.3,
        `${stamp(9.301002)} cloud-init[790]: Cloud-init v. 24.4-0ubuntu1~24.04.2 finished at ${date}. Datasource DataSourceEc2Local.  Up 9.29 seconds`,
      ],
    );
  } else {
    timed.push(
      [9.0, `${stamp(9.021488)} cloud-init[790]: clearml-autoscaler: creating the agent venv in /opt/clearml-agent`],
      [11.0, `${stamp(11.50322)} cloud-init[790]: Successfully installed clearml-agent-3.0.3`],
      [
        12.0,
        `${stamp(12.004771)} cloud-init[790]: clearml-autoscaler: starting clearml-agent daemon (watchdog installed)`,
      ],
      [
        12.5,
        `${stamp(12.511907)} cloud-init[790]: Cloud-init v. 24.4-0ubuntu1~24.04.2 finished at ${date}. Datasource DataSourceEc2Local.  Up 12.50 seconds`,
      ],
    );
  }
  return timed
    .filter(([t]) => t <= up)
    .map(([, line]) => line)
    .join('\r\n')
    .concat('\r\n');
}
