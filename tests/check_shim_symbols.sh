#!/bin/sh
# The preload shim runs inside other people's processes: it must export nothing but the
# functions it interposes, and need nothing but libc (no libstdc++, no libcap, ...).
#   check_shim_symbols.sh path/to/libprivbind-shim.so
set -eu
lib=${1:?usage: check_shim_symbols.sh LIBRARY}
allowed="bind close close_range closefrom dup2 dup3"
status=0

[ -f "$lib" ] || { echo "check_shim_symbols: $lib: not found" >&2; exit 1; }

# Defined dynamic symbols, without version suffixes.
exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)
[ -n "$exported" ] || { echo "check_shim_symbols: $lib exports nothing" >&2; exit 1; }
for sym in $exported; do
  case " $allowed " in
    *" $sym "*) ;;
    *) echo "check_shim_symbols: $lib exports '$sym', which it does not interpose" >&2; status=1 ;;
  esac
done
for sym in $allowed; do
  echo "$exported" | grep -qx "$sym" || {
    echo "check_shim_symbols: $lib does not export '$sym'" >&2; status=1; }
done

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib_needed in $needed; do
  case "$lib_needed" in
    libc.so.*|libdl.so.*) ;;
    *) echo "check_shim_symbols: $lib needs '$lib_needed'; only libc is allowed" >&2; status=1 ;;
  esac
done

[ "$status" -eq 0 ] && echo "check_shim_symbols: exports: $(echo $exported); needs: $(echo $needed)"
exit "$status"
