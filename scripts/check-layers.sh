#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# check-layers.sh - the source tree's layering, checked (README "Source map"):
#
#   base  <-  io | decode | agg | enrich | sink   (stages: never each other)
#         <-  control  <-  daemon  <-  cmd
#
# A file under user/LAYER/ may include headers of its own folder and of the
# layers below it; a stage never includes a sibling stage.  Includes name the
# folder ("decode/plan.h").  Also fails on any include cycle among user/
# modules, a module being X.c with X.h (tsort finds them).  Prints one line per violation; exit 1 if any.
set -u
cd "$(dirname "$0")/../user" || exit 2

rank() {
	case $1 in
	base) echo 0 ;;
	io|decode|agg|enrich|sink) echo 1 ;;
	control) echo 2 ;;
	daemon) echo 3 ;;
	cmd) echo 4 ;;
	*) echo -1 ;;
	esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in */*.[ch]; do
	from=${f%%/*}
	rf=$(rank "$from")
	if [ "$rf" -lt 0 ]; then
		echo "$f: folder '$from' is not a layer"; bad=1; continue
	fi
	while read -r inc; do
		case $inc in
		*/*) ;;
		*) # the generated skeleton lives in the build tree
		   [ "$inc" = nfx_xdp.skel.h ] && continue
		   echo "$f: #include \"$inc\" does not name its folder"; bad=1; continue ;;
		esac
		to=${inc%%/*}
		[ "$to" = nfx ] && continue		# include/nfx: shared with bpf/
		rt=$(rank "$to")
		if [ ! -f "$inc" ]; then
			echo "$f: #include \"$inc\": no such file under user/"; bad=1
		elif [ "$rt" -lt 0 ] || [ "$rt" -gt "$rf" ]; then
			echo "$f: includes $inc, a layer above $from"; bad=1
		elif [ "$rt" -eq "$rf" ] && [ "$to" != "$from" ]; then
			echo "$f: includes $inc, a sibling stage of $from"; bad=1
		fi
		echo "${f%.*} ${inc%.*}" >>"$edges"	# module level: x.c and x.h are one
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
if ! tsort "$edges" >/dev/null 2>&1; then
	echo "include cycle:"; tsort "$edges" 2>&1 >/dev/null | sed 's/^/  /'; bad=1
fi
[ $bad = 0 ] && echo "layers: $(ls */*.[ch] | wc -l) files, no upward or sibling include, no cycle"
exit $bad
