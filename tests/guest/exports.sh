#!/usr/bin/env bash
# The module's dynamic symbol table: it defines nothing but the C_* entry
# points, and binds none of the libraries it carries inside (SQLite, zlib)
# to whatever a host process exports.
set -u
module=${CAREID_MODULE:?CAREID_MODULE names the module to check}
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

command -v nm >/dev/null || { echo "SKIP: nm (binutils) not installed"; exit 77; }

defined=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }')
others=$(grep -v '^C_' <<<"$defined" | sort -u | tr '\n' ' ')
[[ -z "$others" ]] && ok "defines only C_* symbols" || not_ok "also defines: $others"
grep -qx C_GetInterface <<<"$defined" && grep -qx C_GetFunctionList <<<"$defined" &&
	ok "defines C_GetInterface and C_GetFunctionList" || not_ok "entry points missing"

undefined=$(nm -D --undefined-only "$module" | awk '{ sub(/@.*/, "", $2); print $2 }')
bound=$(grep -E '^(sqlite3_|inflate|deflate|zlib|crc32|adler32)' <<<"$undefined" | sort -u | tr '\n' ' ')
[[ -z "$bound" ]] && ok "binds no SQLite or zlib symbol at load time" || not_ok "binds: $bound"
needed=$(readelf -d "$module" | awk '/NEEDED/ { gsub(/[][]/, "", $NF); print $NF }' | tr '\n' ' ')
grep -qE 'libsqlite3|libz\.' <<<"$needed" && not_ok "needs a shared SQLite or zlib: $needed" ||
	ok "needs no shared SQLite or zlib ($needed)"
# Static initialisers would run on load, in the host's process.  A
# sanitizer build adds its own to every object file: not checked there.
ctors=$(readelf -S "$module" | grep -cE '\.init_array|\.ctors')
ctor_size=$(readelf -S -W "$module" | sed -n "s/.*\.init_array *INIT_ARRAY *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p")
ctor_size=$((16#${ctor_size:-0}))
if grep -q 'libasan' <<<"$needed"; then
	echo "# a sanitizer build: its load-time initialisers are the sanitizer's, not checked"
elif [[ "${ctor_size:-0}" -le 8 ]]; then
	ok "at most the toolchain's own load-time initialiser ($ctors section(s), ${ctor_size:-0} bytes)"
else
	not_ok "load-time initialisers: .init_array of $ctor_size bytes"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
