#!/usr/bin/env bash
# TorchSharp 0.107's native libLibTorchSharp.so is built with GCC 13 and asks libstdc++ for GLIBCXX_3.4.32, which
# Debian 12's libstdc++ (GCC 12, up to GLIBCXX_3.4.30) lacks: loading fails with "version `GLIBCXX_3.4.32' not found".
# It uses exactly one symbol of that version, std::ios_base_library_init() (GCC 13's hook that initialises
# std::cout and friends; on GCC 12 the libtorch libraries it loads first initialise them already). This script, run
# once after building the anchor, patches the copy in the build output (never the NuGet cache):
#   1. the symbol loses its version and comes from a one-line shim library (an empty function);
#   2. the GLIBCXX_3.4.32 version requirement is marked weak, so the loader no longer insists on it.
# Needs patchelf, g++ and python3 (apt-get install patchelf g++). Usage, from the repository root:
#   dotnet build -c Release benchmarks/GdTrainer.TorchSharpAnchor
#   bash benchmarks/GdTrainer.TorchSharpAnchor/patch-libtorchsharp-for-debian12.sh
set -euo pipefail
native="$(dirname "$0")/bin/Release/net10.0/runtimes/linux-x64/native"
lib="$native/libLibTorchSharp.so"
if ! readelf -V "$lib" | grep "GLIBCXX_3.4.32" | grep -q "Flags: none"; then
  echo "$lib needs no patch (or is patched already)."
  exit 0
fi

work=$(mktemp -d)
printf 'namespace std { void ios_base_library_init() {} }\n' > "$work/shim.cc"
g++ -shared -fPIC -O2 -o "$native/libiosinit_shim.so" "$work/shim.cc"
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"
patchelf --add-needed libiosinit_shim.so "$lib"
python3 - "$lib" <<'PY'
import struct, subprocess, sys
lib = sys.argv[1]
# File offset of .gnu.version_r, then walk its Verneed / Vernaux entries to GLIBCXX_3.4.32.
sections = subprocess.run(["readelf", "-SW", lib], capture_output=True, text=True).stdout
line = next(l for l in sections.splitlines() if ".gnu.version_r" in l)
offset = int(line.split(".gnu.version_r")[1].split()[2], 16)
strtab_line = next(l for l in sections.splitlines() if " .dynstr " in l)
strtab = int(strtab_line.split(".dynstr")[1].split()[2], 16)
with open(lib, "r+b") as f:
    def name_at(pos):
        f.seek(strtab + pos)
        return f.read(32).split(b"\0")[0].decode()
    need = offset
    while True:
        f.seek(need)
        _, count, _, aux, nxt = struct.unpack("<HHIII", f.read(16))
        entry = need + aux
        for _ in range(count):
            f.seek(entry)
            _, flags, _, name, anext = struct.unpack("<IHHII", f.read(16))
            if name_at(name) == "GLIBCXX_3.4.32":
                f.seek(entry + 4)
                f.write(struct.pack("<H", flags | 2))  # VER_FLG_WEAK
                print("GLIBCXX_3.4.32 requirement marked weak")
            entry += anext
        if nxt == 0:
            break
        need += nxt
PY
rm -rf "$work"
