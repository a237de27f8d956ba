"""Finishes the kernel spec that `gonb -install` wrote: usage
kernelspec.py KERNEL_DIR GONB_BINARY NAME=VALUE...

gonb points argv[0] at a copy of itself when its binary sits under /tmp or the user
cache (as in a clone under /tmp); we always want the binary in .cache/bin, so the spec
can be moved after it is written. Each NAME=VALUE goes into the kernel's environment;
Jupyter expands ${VAR} in these values from its own environment when it starts the kernel.
"""

import json
import os
import sys


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: kernelspec.py KERNEL_DIR GONB_BINARY NAME=VALUE...")
    kernel_dir, gonb = argv[1], argv[2]
    path = os.path.join(kernel_dir, "kernel.json")
    try:
        with open(path) as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"kernelspec.py: cannot read {path} written by gonb -install: {e}")
    spec["argv"][0] = gonb
    for copied in ("gonb", "gonb~"):
        try:
            os.remove(os.path.join(kernel_dir, copied))
        except FileNotFoundError:
            pass
    env = spec.get("env") or {}
    for item in argv[3:]:
        name, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"kernelspec.py: environment setting {item!r} is not NAME=VALUE")
        env[name] = value
    spec["env"] = env
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main(sys.argv)
