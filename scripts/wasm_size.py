#!/usr/bin/env python3
"""What the map's wasm is made of: its code bytes by crate, read from the function names that
the compiler leaves in the wasm before wasm-bindgen strips them.

    scripts/frontend.sh && python3 scripts/wasm_size.py [WASM]

WASM defaults to the frontend's build output under $CARGO_TARGET_DIR (the Debian rustc-web
build's, else rustup's). Each function is counted under the first crate in its (v0-mangled)
name; the totals below count the functions whose name mentions a crate anywhere, i.e. generic
code instantiated for it.
"""
import collections
import glob
import os
import re
import sys

FAMILIES = {
    "Leptos (leptos, tachys, reactive_graph)": ("leptos", "tachys", "reactive_graph"),
    "serde (serde, serde_core, serde_json)": ("serde", "serde_core", "serde_json"),
    "the app (wangge_frontend)": ("wangge_frontend",),
}
CRATE = re.compile(r"C[sy]?[0-9A-Za-z]*_(\d+)([a-z_][a-z_0-9]*)")
# The app's module right after its crate in a mangled path: `…15wangge_frontend10assessment…`.
APP_MODULE = re.compile(r"15wangge_frontend(\d+)([a-z_][a-z_0-9]*)")


def leb(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sections(data):
    if data[:4] != b"\0asm":
        sys.exit("not a wasm module")
    i = 8
    while i < len(data):
        kind = data[i]
        size, i = leb(data, i + 1)
        yield kind, i, i + size
        i += size


def read(path):
    data = open(path, "rb").read()
    imported, bodies, names = 0, [], {}
    for kind, start, end in sections(data):
        if kind == 2:  # imports: functions take the first indices
            count, j = leb(data, start)
            for _ in range(count):
                for _ in range(2):
                    n, j = leb(data, j)
                    j += n
                what = data[j]
                j += 1
                if what == 0:
                    _, j = leb(data, j)
                    imported += 1
                else:
                    sys.exit("only function imports are expected in the app's wasm")
        elif kind == 10:  # code
            count, j = leb(data, start)
            for _ in range(count):
                size, j = leb(data, j)
                bodies.append(size)
                j += size
        elif kind == 0:  # custom: the `name` section's function names
            n, j = leb(data, start)
            if data[j:j + n] != b"name":
                continue
            j += n
            while j < end:
                sub = data[j]
                size, j = leb(data, j + 1)
                if sub == 1:
                    count, k = leb(data, j)
                    for _ in range(count):
                        index, k = leb(data, k)
                        n, k = leb(data, k)
                        names[index] = data[k:k + n].decode("utf-8", "replace")
                        k += n
                j += size
    if not names:
        sys.exit(f"{path} has no function names (was it post-processed by wasm-bindgen?)")
    return imported, bodies, names


def crates(name):
    return [m.group(2)[: int(m.group(1))] for m in CRATE.finditer(name)]


def main():
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        target = os.environ.get("CARGO_TARGET_DIR", "/var/cache/wangge/target")
        found = glob.glob(f"{target}/wasm/wasm32-unknown-unknown/wasm-release/wangge_frontend.wasm") \
            + glob.glob(f"{target}/wasm32-unknown-unknown/wasm-release/wangge_frontend.wasm")
        if not found:
            sys.exit(f"no wangge_frontend.wasm under {target}: run scripts/frontend.sh first")
        path = found[0]
    imported, bodies, names = read(path)
    total = sum(bodies)
    first, family, modules = collections.Counter(), collections.Counter(), collections.Counter()
    for k, size in enumerate(bodies):
        name = names.get(k + imported, "")
        found = crates(name)
        module = APP_MODULE.search(name)
        if module:
            modules[module.group(2)[: int(module.group(1))]] += size
        first[found[0] if found else "(unnamed)"] += size
        for label, members in FAMILIES.items():
            if any(c in members for c in found):
                family[label] += size
    print(f"{path}: {len(bodies)} functions, {total / 1024:.0f} KiB of code")
    print("by the crate that defines them:")
    for crate, size in first.most_common(15):
        print(f"  {size / 1024:8.0f} KiB {100 * size / total:5.1f} %  {crate}")
    print("by the crates they are instantiated for (a function may count in several):")
    for label in FAMILIES:
        print(f"  {family[label] / 1024:8.0f} KiB {100 * family[label] / total:5.1f} %  {label}")
    print("by the app's module they belong to or are instantiated for (its first in the name):")
    for module, size in modules.most_common(12):
        print(f"  {size / 1024:8.0f} KiB {100 * size / total:5.1f} %  {module}")


if __name__ == "__main__":
    main()
