#!/bin/sh
# /init of the test VM's initramfs (busybox sh as PID 1; see vm-run.sh):
# load the modules, mount the host's root (9p, read-only) with fresh /proc,
# /sys, /dev, /tmp and /run, mount the run's read-write directory at
# /run/mipvm, run /run/mipvm/cmd.sh chrooted into the host's root with its
# output on the console, leave the exit status in /run/mipvm/rc and as a
# "VMTEST-EXIT: N" line, and power off.  A broken step says VMTEST-ERROR.
PATH=/bin
export PATH
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

die() {
	echo "VMTEST-ERROR: $*"
	echo "VMTEST-EXIT: 125"
	poweroff -f
	sleep 10
}

rw=/run/mipvm
# shellcheck disable=SC2013
for a in $(cat /proc/cmdline); do
	case $a in
	mipvm.rw=*) rw=${a#mipvm.rw=} ;;
	esac
done

while read -r m; do
	insmod "/lib/modules/$m" || die "insmod $m failed"
done </modules.load
echo "mipvm: modules loaded at $(cut -d' ' -f1 /proc/uptime) s"

R=/mnt/root
# cache=loose: the guest keeps what it read (the share is read-only and the
# VM short-lived); without it every exec re-reads each library over 9p
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot $R ||
	die "cannot mount the host's root over 9p"
mount -t proc proc $R/proc || die "mount $R/proc"
mount -t sysfs sysfs $R/sys || die "mount $R/sys"
mount -t devtmpfs devtmpfs $R/dev || die "mount $R/dev"
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts devpts $R/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || die "mount $R/tmp"
mount -t tmpfs -o mode=755 tmpfs $R/run || die "mount $R/run"
mkdir -p "$R$rw" || die "mkdir $R$rw"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmrw "$R$rw" || die "cannot mount the run directory"
[ -d $R/sys/fs/cgroup ] && mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
hostname mipvm
ip link set lo up

echo "VMTEST-BEGIN uptime $(cut -d' ' -f1 /proc/uptime) s"
chroot $R /bin/sh "$rw/cmd.sh" </dev/null >/dev/console 2>&1
rc=$?
echo "$rc" >"$R$rw/rc"
echo "VMTEST-EXIT: $rc (uptime $(cut -d' ' -f1 /proc/uptime) s)"
sync
poweroff -f
sleep 10
