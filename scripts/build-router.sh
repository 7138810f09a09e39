#!/usr/bin/env bash
# Build fully static, stripped, non-PIE release binaries for router CPUs.
#   scripts/build-router.sh [TARGET...]      (default: all five)
# Output: dist/edgeddns-<target> and dist/sizes.tsv. Fails when a MIPS binary is larger than
# EDGEDDNS_SIZE_BUDGET bytes (default 1500000): the routers with 8 MB of flash are MIPS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cross-env.sh
budget="${EDGEDDNS_SIZE_BUDGET:-1500000}"
targets="${*:-$ALL_TARGETS}"

cross_install
cross_env
cross_release_flags
mkdir -p dist
status=0
for t in $targets; do
	start=$(date +%s)
	cross_cargo build "$t" --release --bin edgeddns "${RELEASE_ARGS[@]}"
	bin="$CARGO_TARGET_DIR/$t/release/edgeddns"
	# Strip leaves two sections the kernel never loads: MIPS's .pdr (procedure descriptors for
	# debuggers, 157 KB on mips) and the toolchain's .comment. OpenWrt's sstrip drops them too.
	llvm-objcopy --remove-section=.pdr --remove-section=.comment "$bin" "dist/edgeddns-$t"
	info=$(file -b "dist/edgeddns-$t")
	case "$info" in
		*"statically linked"*) ;;
		*) echo "error: $t: not statically linked: $info" >&2; status=1 ;;
	esac
	case "$info" in
		*"not stripped"*) echo "error: $t: not stripped" >&2; status=1 ;;
	esac
	size=$(stat -c %s "dist/edgeddns-$t")
	echo "$t: $size bytes in $(( $(date +%s) - start ))s — $info"
done

# The table covers whatever dist/ holds, so building one target keeps the others' rows.
{
	printf 'target\tbytes\n'
	for f in dist/edgeddns-*; do
		printf '%s\t%s\n' "${f#dist/edgeddns-}" "$(stat -c %s "$f")"
	done
} > dist/sizes.tsv
cat dist/sizes.tsv

for t in $targets; do
	case "$t" in
		mips*)
			size=$(stat -c %s "dist/edgeddns-$t")
			if [ "$size" -gt "$budget" ]; then
				echo "error: $t is $size bytes, over the budget of $budget" >&2
				status=1
			fi
			;;
	esac
done
exit $status
