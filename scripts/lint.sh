#!/bin/bash
# make lint (STYLE.md §35): formatting, banned functions, one-way include
# edges, the size budget, clang-tidy and cppcheck. Prints every finding and
# exits non-zero if there was any.
set -u
cd "$(dirname "$0")/.."
fail=0
note() { echo "lint: $*"; fail=1; }

mapfile -t SRC < <(git ls-files -co --exclude-standard -- \
	'shared/*.[ch]' 'policy/*.[ch]' 'supervisor/*.[ch]' 'preload/*.[ch]' \
	'tests/*.[ch]' | sort)
mapfile -t PROD < <(printf '%s\n' "${SRC[@]}" | grep -v '^tests/')

# 1. clang-format: the tree is formatted exactly as .clang-format says.
for f in "${SRC[@]}"; do
	[ -f "$f" ] || continue
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		note "$f: not clang-formatted (run: clang-format -i $f)"
	fi
done

# 2. Banned functions, in case a file escapes the poison in common.h.
#    __builtin_cpu_supports links libgcc's CPU probe as a constructor of
#    every akios exec (CPUID: a VM exit each); <sys/platform/x86.h>'s
#    CPU_FEATURE_ACTIVE reads what glibc has already probed.
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|system|popen|tmpnam|mktemp|alloca|signal|__builtin_cpu_supports)[[:space:]]*\('
for f in "${PROD[@]}"; do
	[ -f "$f" ] || continue
	grep -nE "$banned" "$f" | grep -vE '^\S+:\s*(/\*|\*|//)' |
		while IFS= read -r hit; do
			echo "lint: $f:$hit: banned function"
			echo x >>"${TMPDIR:-/tmp}/akios-lint.$$"
		done
done
if [ -f "${TMPDIR:-/tmp}/akios-lint.$$" ]; then
	fail=1
	rm -f "${TMPDIR:-/tmp}/akios-lint.$$"
fi

# 3. Include direction (DESIGN.md §3): supervisor → policy, shared;
#    policy → shared; shared → nothing of ours; preload → shared/wire.h.
for f in "${PROD[@]}"; do
	[ -f "$f" ] || continue
	mod=${f%%/*}
	while IFS= read -r inc; do
		tgt=${inc%%/*}
		case "$mod:$tgt" in
		supervisor:supervisor | supervisor:policy | supervisor:shared) ;;
		policy:policy | policy:shared) ;;
		shared:shared) ;;
		preload:preload) ;;
		preload:shared) [ "$inc" = shared/wire.h ] ||
			note "$f: preload may include only shared/wire.h, not $inc" ;;
		*) note "$f: includes $inc: $mod must not depend on $tgt" ;;
		esac
		case "$inc" in
		*_int.h) [ "$(dirname "$inc")" = "$(dirname "$f")" ] ||
			note "$f: includes another module's internal $inc" ;;
		esac
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

# 4. Size budget (STYLE.md §2): files ≤ 600 lines (900 with a reason on a
#    line "size-budget: <why>"), functions ≤ 100 lines unless marked, and
#    the share of code in >100-line functions under 10%.
for f in "${PROD[@]}"; do
	[ -f "$f" ] || continue
	n=$(wc -l <"$f")
	if [ "$n" -gt 900 ] ||
		{ [ "$n" -gt 600 ] && ! grep -q 'size-budget:' "$f"; }; then
		note "$f: $n lines (budget 600; 900 with a size-budget: reason)"
	fi
done
python3 scripts/fnsize.py "${PROD[@]}" || fail=1

# 5. clang-tidy and cppcheck on the product code.
if [ "${AKIOS_LINT_FAST:-0}" != 1 ]; then
	pkgs="libseccomp yaml-0.1 libcurl libcrypto libcjson libcap libhs"
	cflags="-std=gnu17 -D_GNU_SOURCE -I. $(pkg-config --cflags $pkgs)"
	mapfile -t CFILES < <(printf '%s\n' "${PROD[@]}" | grep '\.c$')
	if [ ${#CFILES[@]} -gt 0 ]; then
		clang-tidy --quiet "${CFILES[@]}" -- $cflags >/tmp/akios-tidy.log 2>&1 ||
			{ grep -E 'error:|warning:' /tmp/akios-tidy.log; note "clang-tidy findings"; }
		cppcheck --quiet --error-exitcode=1 --inline-suppr \
			--enable=warning,portability --std=c11 \
			--suppress=missingIncludeSystem -D_GNU_SOURCE -I. \
			"${CFILES[@]}" 2>&1 || note "cppcheck findings"
	fi
fi

[ "$fail" -eq 0 ] && echo "lint: ok (${#SRC[@]} files)"
exit "$fail"
