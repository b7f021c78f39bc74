#!/bin/bash
# Run one command inside a throw-away virtual machine that boots Debian's own
# kernel (which has the ipip, gre, veth, bridge and tun modules the build
# machines' kernels lack), with the host's file system as its root: the
# command sees the host's binaries, libraries and build tree unchanged.
#
#   tests/vm/vm-run.sh [options] [--] COMMAND [ARG...]
#
#   --timeout SECS   wall-clock limit for the boot and the command (default 170);
#                    the VM is killed when it passes (exit status 124)
#   --mem MB         guest memory (default 1024)
#   --smp N          virtual CPUs (default 1: with 2 the emulated boot has hung in
#                    a soft lockup, and it is no faster on a 2-core machine)
#   --env NAME       pass the host's $NAME into the guest (repeatable); PATH is
#                    always a plain system PATH, HOME=/root, MIPVM=1
#   --prepare        only install, download and build the cache, boot nothing
#   -v               also show the kernel's boot messages
#
# Exit status: the command's; 77 when no VM can be had here (the reason is
# printed as "vm-run: SKIP: ..."); 124 on timeout; 125 when the VM ended
# without a result (its console is shown).
#
# What it does (see ../../../shared/notes/vm-kernel-tests.md for the why):
# - installs qemu-system-x86, busybox-static and kmod with apt-get if missing;
# - resolves the kernel package linux-image-amd64 currently depends on, and
#   downloads and unpacks it (never installs it) into the cache
#   $MIPAGENT_VM_CACHE (default /var/cache/mipagent-vm), keyed by package and
#   version: the uncompressed vmlinux (booted through PVH), the modules the
#   tests need, and an initramfs made of busybox, those modules and
#   tests/vm/guest-init.sh;
# - boots with software emulation only (-accel tcg: KVM hangs on these
#   machines), no network card (-nodefaults), the host's / shared read-only
#   over 9p plus a private read-write directory; the guest chroots into the
#   host's root, with fresh /tmp and /run, and runs the command with stdin
#   from /dev/null; its output comes back on the serial console;
# - never leaves qemu behind: the pid file, a trap on exit and signals, and
#   a parent-death signal kill it.
set -u
umask 022
PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MIPAGENT_VM_CACHE:-/var/cache/mipagent-vm}
TIMEOUT=170
MEM=1024
SMP=1
PREPARE=0
VERBOSE=0
ENVS=""
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) TIMEOUT=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--env) ENVS="$ENVS $2"; shift 2 ;;
	--prepare) PREPARE=1; shift ;;
	-v) VERBOSE=1; shift ;;
	--) shift; break ;;
	-*) echo "vm-run: unknown option $1" >&2; exit 64 ;;
	*) break ;;
	esac
done
if [ $PREPARE = 0 ] && [ $# -eq 0 ]; then
	echo "usage: $0 [--timeout S] [--mem MB] [--smp N] [--env NAME]... [-v] [--] COMMAND [ARG...]" >&2
	echo "       $0 --prepare" >&2
	exit 64
fi

T0=$(date +%s.%N)
say() { echo "vm-run: $*" >&2; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
skip() { say "SKIP: $*"; exit 77; }

# ---------------------------------------------------------------- packages

[ "$(id -u)" = 0 ] || skip "needs root (apt-get, the kernel cache, qemu's 9p export of /)"
QEMU=${MIPAGENT_VM_QEMU:-/usr/bin/qemu-system-x86_64}   # (override: tests of this script)
BUSYBOX=/bin/busybox
need=""
[ -x "$QEMU" ] || need="$need qemu-system-x86"
# the busybox package's /bin/busybox is dynamic: the initramfs needs the static one
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" || need="$need busybox-static"
command -v depmod >/dev/null 2>&1 && command -v modprobe >/dev/null 2>&1 || need="$need kmod"
command -v xz >/dev/null 2>&1 || need="$need xz-utils"
if [ -n "$need" ]; then
	say "installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $need >&2 ||
			skip "cannot install$need with apt-get"
	fi
fi
[ -x "$QEMU" ] || skip "$QEMU is missing after installing qemu-system-x86"
for t in dpkg-deb apt-get apt-cache gzip flock md5sum; do
	command -v $t >/dev/null 2>&1 || skip "$t is missing"
done

# ---------------------------------------------------------------- the kernel

mkdir -p "$CACHE" || skip "cannot create the cache directory $CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || skip "the cache $CACHE stays locked by another run"

# The kernel package that linux-image-amd64 depends on now (its name carries
# the ABI, e.g. linux-image-6.1.0-56-amd64) and its version.
resolve_kernel() {
	KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	KVERSION=""
	[ -n "$KPKG" ] && KVERSION=$(apt-cache policy "$KPKG" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
	[ -n "$KPKG" ] && [ -n "$KVERSION" ] && [ "$KVERSION" != "(none)" ]
}

# ESP between the agents (the "esp" guest case): esp4, xfrm_user and the
# crypto modules its SAs need (aes, cbc, hmac, sha256 are built in; drbg is
# the stdrng, and its default instance, hmac(sha512), needs sha512_generic;
# jitterentropy_rng is left out: it fails to insmod under TCG, harmlessly)
MODULES="virtio_pci 9pnet_virtio 9p ipip ip_gre veth tun bridge esp4 xfrm_user xfrm_algo authenc echainiv drbg sha512_generic"
# Bumped when the files extracted from the package change: part of the
# cache key, so an older extraction is not reused.
EXTRACT_STAMP=x2

# Download, unpack and prepare $KPKG=$KVERSION into $CACHE/$KID.
fetch_kernel() {
	local tmp deb kver off
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX") || return 1
	(cd "$tmp" && apt-get download -q "$KPKG=$KVERSION" >download.log 2>&1) || {
		say "apt-get download $KPKG=$KVERSION failed; apt-get update and retry"
		apt-get update -q >/dev/null 2>&1
		resolve_kernel || { rm -rf "$tmp"; return 1; }
		(cd "$tmp" && apt-get download -q "$KPKG=$KVERSION" >download.log 2>&1) || {
			sed 's/^/  /' "$tmp/download.log" >&2
			rm -rf "$tmp"
			return 1
		}
	}
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { rm -rf "$tmp"; return 1; }
	say "unpacking $(basename "$deb") ($(du -m "$deb" | cut -f1) MB)"
	mkdir "$tmp/kroot"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/kroot" --wildcards --no-wildcards-match-slash \
		'./boot/vmlinuz-*' './boot/config-*' './lib/modules/*/modules.*' \
		'./lib/modules/*/kernel/net/ipv4/*' './lib/modules/*/kernel/net/bridge/*' \
		'./lib/modules/*/kernel/net/802/*' './lib/modules/*/kernel/net/llc/*' \
		'./lib/modules/*/kernel/net/9p/*' './lib/modules/*/kernel/fs/9p/*' \
		'./lib/modules/*/kernel/fs/netfs/*' './lib/modules/*/kernel/fs/fscache/*' \
		'./lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/net/*.ko' \
		'./lib/modules/*/kernel/net/xfrm/*' './lib/modules/*/kernel/crypto/*' \
		2>"$tmp/tar.log"
	rm -f "$deb"
	kver=$(ls "$tmp/kroot/lib/modules" 2>/dev/null | head -n 1)
	if [ -z "$kver" ] || ! ls "$tmp"/kroot/boot/vmlinuz-* >/dev/null 2>&1; then
		say "the package has no kernel or modules:"; sed 's/^/  /' "$tmp/tar.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	# the .deb has no modules.dep: it is made at installation
	depmod -b "$tmp/kroot" "$kver" 2>/dev/null || { say "depmod failed"; rm -rf "$tmp"; return 1; }
	echo "$kver" >"$tmp/kver"
	# The uncompressed vmlinux boots through PVH, skipping the firmware and
	# the decompressor: about half the boot time.
	off=$(LC_ALL=C grep -abo -m1 $'\xfd7zXZ' "$tmp"/kroot/boot/vmlinuz-* | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$tmp"/kroot/boot/vmlinuz-* | xz -dc --single-stream >"$tmp/vmlinux" 2>/dev/null
		# without the PVH entry note (Xen, type 0x12) it cannot be booted directly
		head -c 4 "$tmp/vmlinux" | grep -q ELF || rm -f "$tmp/vmlinux"
		if command -v readelf >/dev/null 2>&1 && [ -f "$tmp/vmlinux" ] &&
			! LC_ALL=C readelf -n "$tmp/vmlinux" 2>/dev/null | grep -q '(0x00000012)\|PHYS32_ENTRY'; then
			rm -f "$tmp/vmlinux"
		fi
	fi
	chmod 755 "$tmp"
	rm -rf "${CACHE:?}/$KID"
	mv "$tmp" "$CACHE/$KID" || return 1
	# older kernels are of no more use
	for d in "$CACHE"/linux-image-*; do
		[ -d "$d" ] && [ "$d" != "$CACHE/$KID" ] && rm -rf "$d"
	done
	return 0
}

# apt-cache takes a second or two: its answer is kept until the package
# lists change
lists_id=$(ls -l --time-style=+%s /var/lib/apt/lists/ 2>/dev/null | md5sum | cut -c1-16)
KID=""
if [ -f "$CACHE/resolved" ] && [ "$(sed -n 1p "$CACHE/resolved")" = "$lists_id" ]; then
	KID=$(sed -n 2p "$CACHE/resolved")
	case $KID in *+"$EXTRACT_STAMP") ;; *) KID="" ;; esac
	[ -f "$CACHE/$KID/kver" ] || KID=""
fi
if [ -n "$KID" ]; then
	:
elif resolve_kernel; then
	KID="${KPKG}_${KVERSION}+$EXTRACT_STAMP"
elif apt-get update -q >/dev/null 2>&1 && resolve_kernel; then
	KID="${KPKG}_${KVERSION}+$EXTRACT_STAMP"
else
	# no package lists (offline): the newest cached kernel will do
	KID=$(ls -td "$CACHE"/linux-image-* 2>/dev/null | head -n 1)
	KID=${KID##*/}
	[ -n "$KID" ] || skip "cannot resolve linux-image-amd64 (apt-get update failed?) and nothing is cached"
	say "using the cached $KID (linux-image-amd64 cannot be resolved)"
fi
KDIR=$CACHE/$KID
if [ ! -f "$KDIR/kver" ]; then
	say "fetching the kernel $KPKG $KVERSION into $CACHE"
	if ! fetch_kernel; then
		old=$(ls -td "$CACHE"/linux-image-*/kver 2>/dev/null | head -n 1)
		[ -n "$old" ] || skip "cannot download or unpack $KPKG $KVERSION"
		KDIR=${old%/kver}
		KID=${KDIR##*/}
		say "cannot download or unpack $KPKG $KVERSION: using the cached $KID"
	fi
fi
KVER=$(cat "$KDIR/kver")
printf '%s\n%s\n' "$lists_id" "$KID" >"$CACHE/resolved"
if [ -f "$KDIR/vmlinux" ]; then
	KERNEL=$KDIR/vmlinux
else
	KERNEL=$(ls "$KDIR"/kroot/boot/vmlinuz-* | head -n 1)
fi

# ---------------------------------------------------------------- the initramfs

# The modules in load order (dependencies first), once each.
modlist() {
	local m
	for m in $MODULES; do
		modprobe -d "$KDIR/kroot" -S "$KVER" --show-depends "$m" 2>/dev/null || {
			echo "MISSING $m"
		}
	done | awk '$1 == "MISSING" { print; next } $1 == "insmod" && !seen[$2]++ { print $2 }'
}
mods=$(modlist)
case $mods in
*MISSING*) skip "kernel $KVER lacks modules: $(echo "$mods" | awk '$1 == "MISSING" { printf " %s", $2 }')" ;;
esac
key=$( (echo "$KVER $mods"; cat "$HERE/guest-init.sh"; ls -l $BUSYBOX) | md5sum | cut -c1-12)
INITRD=$KDIR/initrd-$key.cpio.gz
if [ ! -f "$INITRD" ]; then
	ir=$(mktemp -d "$CACHE/.initrd.XXXXXX")
	mkdir -p "$ir/root/bin" "$ir/root/lib/modules" "$ir/root/proc" "$ir/root/sys" "$ir/root/dev" \
		"$ir/root/mnt/root"
	cp $BUSYBOX "$ir/root/bin/busybox"
	ln -s busybox "$ir/root/bin/sh"
	cp "$HERE/guest-init.sh" "$ir/root/init"
	chmod 755 "$ir/root/init"
	for m in $mods; do
		cp "$m" "$ir/root/lib/modules/"
		basename "$m" >>"$ir/root/modules.load"
	done
	(cd "$ir/root" && find . -print0 | $BUSYBOX cpio -o -H newc -R 0:0 -0 2>/dev/null | gzip -1 >"$ir/initrd") &&
		rm -f "$KDIR"/initrd-*.cpio.gz && mv "$ir/initrd" "$INITRD"
	rm -rf "$ir"
	[ -f "$INITRD" ] || skip "cannot build the initramfs"
fi
flock -u 9
if [ $PREPARE = 1 ]; then
	say "ready: kernel $KVER ($KERNEL), initramfs $INITRD ($(elapsed) s)"
	exit 0
fi

# ---------------------------------------------------------------- boot and run

# run directories of runs that were killed with SIGKILL (their qemu died
# with them: parent-death signal)
for d in "${TMPDIR:-/tmp}"/mipvm.??????; do
	[ -d "$d" ] || continue
	if [ -f "$d/qemu.pid" ]; then
		kill -0 "$(cat "$d/qemu.pid" 2>/dev/null)" 2>/dev/null || rm -rf "$d"
	elif [ -n "$(find "$d" -maxdepth 0 -mmin +60 2>/dev/null)" ]; then
		rm -rf "$d"
	fi
done
RW=$(mktemp -d "${TMPDIR:-/tmp}/mipvm.XXXXXX") || exit 125
QPID=""
TPID=""
finish() {
	local p
	if [ -f "$RW/qemu.pid" ]; then p=$(cat "$RW/qemu.pid" 2>/dev/null); fi
	for p in $QPID ${p:-}; do
		kill -TERM "$p" 2>/dev/null && sleep 0.3 && kill -KILL "$p" 2>/dev/null
	done
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	rm -rf "$RW"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

{
	echo "cd $(printf '%q' "$PWD") 2>/dev/null || cd /"
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb MIPVM=1"
	for e in $ENVS; do
		if [ -n "${!e+x}" ]; then echo "export $e=$(printf '%q' "${!e}")"; fi
	done
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$RW/cmd.sh"

LOG=$RW/console
: >"$LOG"
SECONDS=0
# Emulation is slow, so the guest skips what costs and tests nothing here:
# the crypto self-tests at boot and the CPU vulnerability mitigations.  One
# vCPU: with two, a boot hung in a soft lockup, and they are no faster on a
# 2-core machine.
DEATHSIG=""
setpriv --help 2>&1 | grep -q pdeathsig && DEATHSIG="setpriv --pdeathsig KILL --"
# shellcheck disable=SC2086
$DEATHSIG $QEMU -accel tcg -machine pc -nodefaults -no-user-config -display none -no-reboot \
	-m "$MEM" -smp "$SMP" -serial stdio -pidfile "$RW/qemu.pid" \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off cryptomgr.notests mipvm.rw=/run/mipvm" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$RW",mount_tag=vmrw,security_model=none \
	</dev/null >"$LOG" 2>"$RW/qemu.err" &
QPID=$!

# The command's output as it comes: what the guest prints between the
# markers (all of the console with -v), without carriage returns.
tail -n +1 -s 0.2 -f --pid=$QPID "$LOG" 2>/dev/null | awk -v all=$VERBOSE '
	{ sub(/\r$/, "") }
	/^VMTEST-EXIT: / { on = 0 }
	on || all { print; fflush() }
	/^VMTEST-BEGIN/ { on = 1 }' &
TPID=$!

timed_out=0
while kill -0 $QPID 2>/dev/null; do
	if [ "$SECONDS" -ge "$TIMEOUT" ]; then
		timed_out=1
		say "timeout after $TIMEOUT s: killing the VM"
		kill -TERM $QPID 2>/dev/null
		sleep 1
		kill -KILL $QPID 2>/dev/null
		break
	fi
	sleep 0.2
done
wait $QPID 2>/dev/null
QPID=""
wait $TPID 2>/dev/null
TPID=""

rc=""
[ -s "$RW/rc" ] && rc=$(tr -dc 0-9 <"$RW/rc")
[ -n "$rc" ] || rc=$(tr -d '\r' <"$LOG" | sed -n 's/^VMTEST-EXIT: \([0-9]*\).*/\1/p' | tail -n 1)
if [ -z "$rc" ]; then
	if [ $timed_out = 1 ]; then rc=124; else rc=125; fi
	say "the VM ended without a result; its console:"
	tr -d '\r' <"$LOG" | tail -n 40 | sed 's/^/  | /' >&2
	[ -s "$RW/qemu.err" ] && sed 's/^/  qemu: /' "$RW/qemu.err" >&2
elif [ $timed_out = 1 ]; then
	rc=124
fi
grep -q '^VMTEST-ERROR' "$LOG" && tr -d '\r' <"$LOG" | grep '^VMTEST-ERROR' | sed 's/^/vm-run: /' >&2
say "kernel $KVER, exit status $rc, $(elapsed) s"
exit "$rc"
